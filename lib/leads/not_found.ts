// "No lead has that id" as the core says it: a not_found DomainError. The store's own
// LeadNotFoundError is a not_found DomainError too (since the ingest rewrite); the functions routes
// call still turn it into this one, whose message the API has always answered with (issue 14,
// phase B folds the two and `orNoSuchLead` goes).

import { DomainError } from "../errors.ts";
import { LeadNotFoundError } from "./store.ts";

/** No lead has the id asked for. */
export class NoSuchLeadError extends DomainError {
  /** The id asked for. */
  readonly leadId: string;

  /** Makes the error for lead `leadId`. */
  constructor(leadId: string) {
    super("not_found", `No lead has the id ${leadId}`);
    this.leadId = leadId;
  }
}

/** Runs `work` on lead `id`, turning the store's LeadNotFoundError into a NoSuchLeadError. */
export async function orNoSuchLead<T>(id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LeadNotFoundError) throw new NoSuchLeadError(id);
    throw error;
  }
}
