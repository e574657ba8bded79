// POST: sends a test notification to every device of the signed-in user.

import { define } from "../../../lib/web/define.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ state }) {
    const result = await state.services.push.sendTest(state.user!.id);
    return jsonResponse(result, 200, { "cache-control": "no-store" });
  },
});
