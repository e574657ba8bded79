// Counts what the lead store commits: new leads by source, and details fetched or failed.

import { leadDetails, leadsStored } from "../metrics/app_metrics.ts";
import type { LeadStore } from "./store.ts";

/**
 * The same store, counting from the outside what its writes committed: each inserted lead by its
 * `source`, and each update that moved a lead's details to `fetched` or `failed` (whoever made
 * it: the fetch job, its failure hook, a retry). Every other method passes through untouched.
 */
export function withStoreMetrics(store: LeadStore): LeadStore {
  return {
    ...store,
    async insertLeads(leads, options) {
      const result = await store.insertLeads(leads, options);
      for (const lead of result.inserted) leadsStored.inc({ source: lead.source });
      return result;
    },
    async updateLead(id, mutate, options) {
      // `mutate` may run more than once (a commit that lost a race is tried again): the last
      // run is the one that was committed.
      let moved: "fetched" | "failed" | null = null;
      const updated = await store.updateLead(id, (current) => {
        const next = mutate(current);
        const details = next?.details;
        moved =
          next && details !== current.details && (details === "fetched" || details === "failed")
            ? details
            : null;
        return next;
      }, options);
      if (updated !== null && moved !== null) leadDetails.inc({ outcome: moved });
      return updated;
    },
  };
}
