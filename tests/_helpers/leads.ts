// Lead fixtures: Meta lead stubs with unique leadgen ids past 2^53, as Meta's ids can be.

import { type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { waitFor } from "./wait.ts";

let nextLeadgen = 100_000_000_000_000_000n;

/** A new Meta lead stub (details pending) with a unique leadgen id. */
export function testMetaLead(options: { createdTime?: number } = {}): Lead {
  nextLeadgen += 1n;
  return newMetaLead({
    leadgenId: String(nextLeadgen),
    pageId: "111",
    formId: "222",
    adId: "333",
    adgroupId: null,
    createdTime: options.createdTime ?? 1_700_000_000,
  }, new Date());
}

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
