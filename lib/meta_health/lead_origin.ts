// How a Meta lead reached us: a webhook delivery or a reconcile sweep, read from its timeline.

import type { Lead } from "../leads/model.ts";

/** "webhook", "sweep", "manual" (typed in by a person) or "unknown". */
export type LeadOrigin = "webhook" | "sweep" | "manual" | "unknown";

/**
 * The lead's origin. Its first `received` timeline event says how it arrived: newMetaLead writes
 * "webhook" and the sweep's leadFromGraph rewrites it to "sync with Meta" (lib/reconcile/graph_lead.ts);
 * tests/meta_health/webhook_loss_test.ts holds both to that, so a change there shows up here.
 */
export function leadOrigin(lead: Lead): LeadOrigin {
  if (lead.source !== "meta") return "manual";
  const received = lead.timeline.find((event) => event.event === "received");
  if (received?.detail === "webhook") return "webhook";
  if (received?.detail === "sync with Meta") return "sweep";
  return "unknown";
}
