// The Conversions API for CRM (admins): GET whether it is on, the stage map and the latest
// reports; PUT `{stages: {"qualified": "Qualified Lead", "won": ""}}` changes the map.

import { readJsonObject } from "../../../lib/web/body.ts";
import { checkCapiSettings } from "../../../lib/capi/settings.ts";
import { define } from "../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

export const access = "admin";

const NO_STORE = { "cache-control": "no-store" };

export const handler = define.handlers({
  async GET({ state }) {
    const { capi } = state.services;
    return jsonResponse(
      {
        enabled: capi.datasetId !== null,
        datasetId: capi.datasetId,
        settings: await capi.getSettings(),
        reports: await capi.listReports(50),
      },
      200,
      NO_STORE,
    );
  },

  async PUT({ req, state }) {
    const checked = checkCapiSettings(await readJsonObject(req));
    if (!checked.ok) {
      throw new HttpError(400, "Cannot save the stage map: some stages are not right", {
        details: { fields: checked.fields },
      });
    }
    await state.services.capi.saveSettings(checked.settings);
    state.services.log.info("Conversions API stages changed", {
      requestId: state.requestId,
      by: state.user!.id,
      stages: Object.keys(checked.settings.stages),
    });
    return jsonResponse({ settings: checked.settings }, 200, NO_STORE);
  },
});
