// The Meta health report: GET the last check, POST runs one now (the Settings page's Check now).
// A plain form post from a browser is sent back to the Settings page (303).

import { define } from "../../../lib/app_state.ts";
import { isFormPost } from "../../../lib/web/form_post.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

/** Only admins see how Meta is wired. */
export const access = "admin";

export const handler = define.handlers({
  async GET({ state }) {
    const stored = await state.services.metaHealth.last();
    return jsonResponse(stored ?? { report: null }, 200, { "cache-control": "no-store" });
  },

  async POST({ req, state }) {
    const { metaHealth, log } = state.services;
    const stored = await metaHealth.check({ trigger: "manual" });
    log.info("meta health checked by an admin", {
      requestId: state.requestId,
      by: state.user?.id ?? null,
      status: stored.report.status,
      resumed: stored.resumed,
    });
    if (isFormPost(req)) {
      await req.body?.cancel();
      return new Response(null, { status: 303, headers: { location: "/settings?done=checked" } });
    }
    return jsonResponse(stored, 200, { "cache-control": "no-store" });
  },
});
