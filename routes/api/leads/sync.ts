// Asks the server to reconcile with Meta now (POST), or says how the last sync went (GET).

import { requestSync } from "../../../lib/leads/request_sync.ts";
import { define } from "../../../lib/web/define.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ state }) {
    const summary = await requestSync(state.services);
    return jsonResponse(summary, 200, { "cache-control": "no-store" });
  },

  /** Where reconciliation stands: the last result, a pause, page problems and the sweep's progress. */
  async GET({ state }) {
    const status = await state.services.reconciler.status();
    return jsonResponse(status, 200, { "cache-control": "no-store" });
  },
});
