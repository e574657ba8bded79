// Claims a lead for the signed-in user: 200 with the lead, or 409 with who owns it when someone
// else got it first. A plain form post (no JavaScript) comes back to the page it was sent from.

import { ownOrigin } from "../../../../lib/web/request_info.ts";
import { claimLead, LeadClaimedError } from "../../../../lib/leads/ownership.ts";
import { toLeadDetailJson } from "../../../../lib/leads/timeline.ts";
import { define } from "../../../../lib/app_state.ts";
import { formReturnPath, isFormPost } from "../../../../lib/web/form_post.ts";
import { jsonResponse } from "../../../../lib/web/http_error.ts";
import { LeadNotFoundError } from "../../../../lib/leads/store.ts";
import { isUlid } from "../../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async POST({ req, params, state }) {
    const { leads, log, config } = state.services;
    const user = state.user!;
    const form = isFormPost(req);
    await req.body?.cancel();
    try {
      await claimLead(leads, params.id, user);
      log.info("lead claimed", { requestId: state.requestId, leadId: params.id, by: user.id });
    } catch (error) {
      // A form lands back on its page either way: the row or the lead then shows who owns it.
      if (!(form && error instanceof LeadClaimedError)) throw error;
    }
    if (form) {
      const location = formReturnPath(
        req.headers.get("referer"),
        ownOrigin(req, config.trustProxy),
        `/leads/${encodeURIComponent(params.id)}`,
      );
      return new Response(null, { status: 303, headers: { location } });
    }
    const found = await leads.getLeadWithTimeline(params.id);
    if (found === null) throw new LeadNotFoundError(params.id);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 200, {
      "cache-control": "no-store",
    });
  },
});
