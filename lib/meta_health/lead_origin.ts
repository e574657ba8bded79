// How a Meta lead reached us: a webhook delivery or a reconcile sweep.

import type { Lead } from "../leads/model.ts";

/** "webhook", "sweep", "manual" (typed in by a person) or "unknown". */
export type LeadOrigin = "webhook" | "sweep" | "manual" | "unknown";

/**
 * The lead's origin: its `receivedVia`, set when it is made (newMetaLead, the sweep's
 * leadFromGraph, newManualLead). Leads stored before that field existed still carry their timeline
 * inline, whose first `received` event says the same ("webhook" or "sync with Meta").
 */
export function leadOrigin(lead: Lead): LeadOrigin {
  if (lead.source !== "meta") return "manual";
  if (lead.receivedVia === "webhook") return "webhook";
  if (lead.receivedVia === "sync") return "sweep";
  const received = (lead.timeline ?? []).find((event) => event.event === "received");
  if (received?.detail === "webhook") return "webhook";
  if (received?.detail === "sync with Meta") return "sweep";
  return "unknown";
}
