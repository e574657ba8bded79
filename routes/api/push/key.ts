// GET: the VAPID public key a browser subscribes with (`applicationServerKey`).

import { define } from "../../../lib/web/define.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  GET({ state }) {
    return jsonResponse({ publicKey: state.services.push.publicKey }, 200, {
      "cache-control": "no-store",
    });
  },
});
