// One lead as JSON, by our id, with the newest page of its timeline; PATCH changes its status
// (`{ "status": "contacted" }`) and/or its owner (`{ "ownerId": "<user id>" | null }`); DELETE
// (admins only) erases it with every record kept for it, leaving an audit entry.

import { readJsonObject } from "../../../lib/web/body.ts";
import { eraseLead } from "../../../lib/leads/erase.ts";
import { assignLead } from "../../../lib/leads/ownership.ts";
import { parseLeadPatch, setLeadStatus } from "../../../lib/leads/status.ts";
import { toLeadDetailJson } from "../../../lib/leads/timeline.ts";
import { define } from "../../../lib/app_state.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";
import { LeadNotFoundError } from "../../../lib/leads/store.ts";
import { isUlid } from "../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

/** Any signed-in user reads and works a lead; only an admin erases one. */
export const methodAccess = { DELETE: "admin" } as const;

export const handler = define.handlers({
  async GET({ params, state }) {
    const { leads } = state.services;
    const found = await leads.getLeadWithTimeline(params.id);
    if (found === null) throw new LeadNotFoundError(params.id);
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
      if (outcome === "not_found") throw new LeadNotFoundError(params.id);
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
    if (found === null) throw new LeadNotFoundError(params.id);
    return jsonResponse(toLeadDetailJson(found.lead, found.timeline), 200, {
      "cache-control": "no-store",
    });
  },

  /**
   * Erases the lead (right to erasure): 200 with the audit entry left (no personal data), or 404.
   * The lead leaves every open dashboard at once.
   */
  async DELETE({ params, state }) {
    const { kv, leads, log, config } = state.services;
    const user = state.user!;
    const erased = await eraseLead(kv, leads, params.id, {
      reason: "erasure",
      by: { id: user.id, name: user.name },
      defaultCountry: config.defaultPhoneCountry,
    });
    if (erased === null) throw new LeadNotFoundError(params.id);
    log.info("lead erased", { requestId: state.requestId, leadId: params.id, by: user.id });
    return jsonResponse({ audit: erased.audit }, 200, { "cache-control": "no-store" });
  },
});
