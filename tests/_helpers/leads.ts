// Lead fixtures: Meta lead stubs with unique leadgen ids past 2^53, as Meta's ids can be.

import { type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { waitFor } from "./wait.ts";

let nextLeadgen = 100_000_000_000_000_000n;

/** A new Meta lead stub (details pending) with a unique leadgen id. */
export function testMetaLead(
  options: { createdTime?: number; leadgenId?: string; adId?: string | null; receivedAt?: Date } =
    {},
): Lead {
  nextLeadgen += 1n;
  return newMetaLead({
    leadgenId: options.leadgenId ?? String(nextLeadgen),
    pageId: "111",
    formId: "222",
    adId: options.adId === undefined ? "333" : options.adId,
    adgroupId: null,
    createdTime: options.createdTime ?? 1_700_000_000,
  }, options.receivedAt ?? new Date());
}

/** The key prefixes of every per-lead index (what a test compares the stored index keys under). */
export const INDEX_KEY_PREFIXES = [
  "leads_by_owner",
  "leads_waiting",
  "leads_unowned_waiting",
  "leads_by_follow_up",
  "leads_by_assigned",
  "leads_by_status",
  "leads_by_form",
  "leads_by_campaign",
  "leads_by_source",
  "leads_by_term",
];

/** Which state of its details {@linkcode waitForLeadDetails} waits for. */
export type DetailsWanted = "fetched" | "failed" | "settled";

/**
 * Waits until the lead of Meta's `leadgenId` is stored with its details `fetched`, `failed`, or
 * either (`settled`: no longer pending); returns it.
 */
export function waitForLeadDetails(
  leads: { getLeadByLeadgenId(leadgenId: string): Promise<Lead | null> },
  leadgenId: string,
  wanted: DetailsWanted = "settled",
): Promise<Lead> {
  return waitFor(async () => {
    const lead = await leads.getLeadByLeadgenId(leadgenId);
    if (!lead || lead.details === "pending") return null;
    return wanted === "settled" || lead.details === wanted ? lead : null;
  }, `lead ${leadgenId}'s details to be ${wanted}`);
}
