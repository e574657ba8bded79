// GET: the VAPID public key a browser subscribes with (`applicationServerKey`).

import { define } from "../../../lib/app_state.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";
import type { PushKeyAnswer } from "../../../lib/wire.ts";

export const handler = define.handlers({
  GET({ state }) {
    const answer: PushKeyAnswer = { publicKey: state.services.push.publicKey };
    return jsonResponse(answer, 200, {
      "cache-control": "no-store",
    });
  },
});
