// One lead as JSON, by our id, with the newest page of its timeline; PATCH changes its status
// (`{ "status": "contacted" }`) and/or its owner (`{ "ownerId": "<user id>" | null }`).

import { readJsonObject } from "../../../lib/web/body.ts";
import { assignLead } from "../../../lib/leads/ownership.ts";
import { parseLeadPatch, setLeadStatus } from "../../../lib/leads/status.ts";
import { toLeadDetailJson } from "../../../lib/leads/timeline.ts";
import { define } from "../../../lib/app_state.ts";
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

  /**
   * 200 with the lead (changed, or as it was when nothing changes), 400, 403 (an agent moving a
   * lead other than to or from themselves), or 404.
   */
  async PATCH({ req, params, state }) {
    const patch = parseLeadPatch(await readJsonObject(req));
    const { leads, kv, log } = state.services;
    const user = state.user!;
    if (patch.ownerId !== undefined) {
      const lead = await assignLead({ kv, store: leads }, params.id, patch.ownerId, user);
      log.info("lead owner changed", {
        requestId: state.requestId,
        leadId: params.id,
        ownerId: lead.ownerId,
        by: user.id,
      });
    }
    if (patch.status !== undefined) {
      const { outcome } = await setLeadStatus(leads, params.id, patch.status, { by: user.name });
      if (outcome === "not_found") throw new HttpError(404, `No lead has the id ${params.id}`);
      if (outcome === "changed") {
        log.info("lead status changed", {
          requestId: state.requestId,
          leadId: params.id,
          status: patch.status,
          by: user.id,
        });
      }
    }
    // Served as GET serves it: the timeline read from its records.
    const found = await leads.getLeadWithTimeline(params.id);
    if (found === null) throw new HttpError(404, `No lead has the id ${params.id}`);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 200, {
      "cache-control": "no-store",
    });
  },
});
