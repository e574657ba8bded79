// Changes a lead's status from a plain form (field `status`), for pages without JavaScript: 303
// back to the lead's page, or to the dashboard it was sent from. JSON clients use PATCH /api/leads/:id.

import { readForm } from "../../../../lib/web/body.ts";
import { ownOrigin } from "../../../../lib/web/request_info.ts";
import { parseLeadStatus, setLeadStatus } from "../../../../lib/leads/status.ts";
import { define } from "../../../../lib/app_state.ts";
import { formReturnPath, isFormPost } from "../../../../lib/web/form_post.ts";
import { HttpError } from "../../../../lib/web/http_error.ts";
import { isUlid } from "../../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async POST({ req, params, state }) {
    if (!isFormPost(req)) {
      throw new HttpError(
        415,
        "Cannot change status: send a form here, or JSON to PATCH /api/leads/:id",
      );
    }
    const status = parseLeadStatus((await readForm(req)).status);
    const { outcome } = await setLeadStatus(state.services.leads, params.id, status, {
      by: state.user?.name ?? null,
    });
    if (outcome === "changed") {
      state.services.log.info("lead status changed", {
        requestId: state.requestId,
        leadId: params.id,
        status,
        by: state.user?.id ?? null,
      });
    }
    // Whatever happened (changed, already so, or no such lead), the page shows where it stands.
    const location = formReturnPath(
      req.headers.get("referer"),
      ownOrigin(req, state.services.config.trustProxy),
      `/leads/${encodeURIComponent(params.id)}`,
    );
    return new Response(null, { status: 303, headers: { location } });
  },
});
