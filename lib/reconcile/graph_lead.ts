// Turns a lead listed by the Graph API into a stored Lead, the same shape a fetched webhook lead has.

import { graphTimeToIso, mapLeadDetails } from "../facebook/lead_fields.ts";
import type { GraphLead } from "../facebook/lead_fields.ts";
import { applyLeadDetails, type Lead, type LeadDetails, newMetaLead } from "../leads/model.ts";
import type { ReconcileForm } from "./types.ts";

/**
 * A complete lead (details "fetched") from a listed Graph lead: the list already carries
 * `field_data`, so no second Graph call is needed. Its timeline says it came from a sync.
 */
export function leadFromGraph(graphLead: GraphLead, form: ReconcileForm, now: Date): Lead {
  const createdIso = graphTimeToIso(graphLead.created_time);
  const stub = newMetaLead({
    leadgenId: String(graphLead.id),
    pageId: form.pageId,
    formId: form.formId,
    adId: typeof graphLead.ad_id === "string" ? graphLead.ad_id : null,
    adgroupId: null,
    createdTime: createdIso === null ? null : Date.parse(createdIso) / 1000,
  }, now);
  const lead = applyLeadDetails(stub, graphLeadDetails(graphLead, form), now);
  return {
    ...lead,
    receivedVia: "sync",
    timeline: lead.timeline.map((event) =>
      event.event === "received" ? { ...event, detail: "sync with Meta" } : event
    ),
  };
}

/**
 * The details a listed Graph lead carries, ready for `applyLeadDetails`. Values Meta left out are
 * left out here too, so the lead keeps its created time and the form it was listed under.
 */
export function graphLeadDetails(graphLead: GraphLead, form: ReconcileForm): LeadDetails {
  const mapped = mapLeadDetails(graphLead);
  return {
    fullName: mapped.fullName,
    email: mapped.email,
    phone: mapped.phone,
    answers: mapped.answers,
    ...(mapped.adId !== null ? { adId: mapped.adId } : {}),
    adName: mapped.adName,
    adsetId: mapped.adsetId,
    adsetName: mapped.adsetName,
    campaignId: mapped.campaignId,
    campaignName: mapped.campaignName,
    isOrganic: mapped.isOrganic,
    platform: mapped.platform,
    ...(form.name !== null ? { formName: form.name } : {}),
  };
}
