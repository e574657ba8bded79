// Asks the server to reconcile with Meta now; answers a summary the Sync button shows.

import { requestSync } from "../../../lib/leads/request_sync.ts";
import { define } from "../../../lib/web/define.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ state }) {
    const summary = await requestSync(state.services);
    return jsonResponse(summary, 200, { "cache-control": "no-store" });
  },
});
