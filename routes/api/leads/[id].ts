// One lead as JSON, by our id, with the newest page of its timeline; PATCH changes its status
// (`{ "status": "contacted" }`).

import { readJsonObject } from "../../../lib/auth_web/body.ts";
import { LeadValidationError } from "../../../lib/leads/model.ts";
import { parseStatusChange, setLeadStatus } from "../../../lib/leads/status.ts";
import { toLeadDetailJson } from "../../../lib/leads/timeline.ts";
import { define } from "../../../lib/web/define.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";
import { isUlid } from "../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async GET({ params, state }) {
    const { leads } = state.services;
    const found = await leads.getLeadWithTimeline(params.id);
    if (found === null) throw new HttpError(404, `No lead has the id ${params.id}`);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 200, {
      "cache-control": "no-store",
    });
  },

  /** 200 with the lead (changed, or as it was when the status is the same), 400, or 404. */
  async PATCH({ req, params, state }) {
    let status;
    try {
      status = parseStatusChange(await readJsonObject(req));
    } catch (error) {
      if (error instanceof LeadValidationError) throw new HttpError(400, error.message);
      throw error;
    }
    const { leads } = state.services;
    const { outcome } = await setLeadStatus(leads, params.id, status, {
      by: state.user?.name ?? null,
    });
    if (outcome === "not_found") throw new HttpError(404, `No lead has the id ${params.id}`);
    if (outcome === "changed") {
      state.services.log.info("lead status changed", {
        requestId: state.requestId,
        leadId: params.id,
        status,
        by: state.user?.id ?? null,
      });
    }
    // Served as GET serves it: the timeline read from its records.
    const found = await leads.getLeadWithTimeline(params.id);
    if (found === null) throw new HttpError(404, `No lead has the id ${params.id}`);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 200, {
      "cache-control": "no-store",
    });
  },
});
