// POST: sends a test notification to every device of the signed-in user.

import { define } from "../../../lib/app_state.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";
import type { PushTestAnswer } from "../../../lib/wire.ts";

export const handler = define.handlers({
  async POST({ state }) {
    const result: PushTestAnswer = await state.services.push.sendTest(state.user!.id);
    return jsonResponse(result, 200, { "cache-control": "no-store" });
  },
});
