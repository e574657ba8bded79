// Lead fixtures: Meta lead stubs with unique leadgen ids past 2^53, as Meta's ids can be.

import { type Lead, newMetaLead } from "../../lib/leads/model.ts";

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
