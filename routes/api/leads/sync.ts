// Asks the server to reconcile with Meta now (POST), or says how the last sync went (GET).

import { define } from "../../../lib/app_state.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ state }) {
    // One sweep at a time across processes; a request within the minimum interval gets the last
    // result with `skipped: true` instead of calling Meta again.
    const result = await state.services.reconciler.requestSync({ trigger: "manual" });
    return jsonResponse(result, 200, { "cache-control": "no-store" });
  },

  /** Where reconciliation stands: the last result, a pause, page problems and the sweep's progress. */
  async GET({ state }) {
    const status = await state.services.reconciler.status();
    return jsonResponse(status, 200, { "cache-control": "no-store" });
  },
});
