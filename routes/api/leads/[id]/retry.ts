// Schedules the details fetch of a failed lead again (the retry buttons on the dashboard and the
// lead page). A plain form post from a browser is sent back to the lead's page (303).

import { retryLeadDetails } from "../../../../lib/leads/fetch_details.ts";
import { toLeadDetailJson } from "../../../../lib/leads/timeline.ts";
import { define } from "../../../../lib/app_state.ts";
import { isFormPost } from "../../../../lib/web/form_post.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";
import { LeadNotFoundError } from "../../../../lib/leads/store.ts";
import { isUlid } from "../../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async POST({ req, params, state }) {
    const { kv, leads, jobs } = state.services;
    const { outcome, lead } = await retryLeadDetails({ kv, leads, jobs }, params.id);
    if (outcome === "queued") {
      state.services.log.info("lead details fetch retried", {
        requestId: state.requestId,
        leadId: params.id,
        by: state.user?.id ?? null,
      });
    }
    // Whatever happened, the lead's page shows where it stands now (pending, fetched, or 404).
    if (isFormPost(req)) {
      await req.body?.cancel();
      return new Response(null, {
        status: 303,
        headers: { location: `/leads/${encodeURIComponent(params.id)}` },
      });
    }
    if (outcome === "not_found") throw new LeadNotFoundError(params.id);
    if (outcome === "not_failed") {
      throw new HttpError(
        409,
        `Cannot retry lead ${params.id}: its details are ${lead?.details}, not failed`,
      );
    }
    // Served as GET serves it: the timeline read from its records.
    const found = await state.services.leads.getLeadWithTimeline(params.id);
    if (found === null) throw new LeadNotFoundError(params.id);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 202);
  },
});
