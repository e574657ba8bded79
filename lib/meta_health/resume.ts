// Leads whose details failed because Meta refused the token or a permission are fetched again once it works.

import {
  FETCH_LEAD_DETAILS,
  type FetchLeadDetailsPayload,
  retryLeadDetails,
} from "../leads/fetch_details.ts";
import type { LeadStore } from "../leads/store.ts";
import { JOBS_FAILED_PREFIX } from "../jobs/keys.ts";
import type { FailedJobRecord, JobQueue } from "../jobs/queue.ts";

/**
 * Whether a lead's failure reason is Meta refusing the token or a permission: the reasons
 * lib/leads/fetch_details.ts's failureReason writes for error kinds "token" and "permission"
 * (tests/meta_health/resume_test.ts holds the two together). Those fail at once and for good, and
 * a working token is exactly what they wait for; other failures (a deleted lead, repeated
 * timeouts) are not retried by this.
 */
export function isAccessFailure(reason: string | null): boolean {
  return reason !== null &&
    (reason.startsWith("Meta refused the access token") ||
      reason.startsWith("Meta denied reading"));
}

/**
 * Schedules again the details fetch of every lead that failed because Meta refused its token or
 * a permission, on the pages `accept` says now work. Returns the ids of the leads re-queued.
 */
export async function resumeAccessFailedLeads(
  deps: { kv: Deno.Kv; leads: LeadStore; jobs: JobQueue; now?: () => Date },
  accept: (pageId: string) => boolean,
): Promise<string[]> {
  const resumed: string[] = [];
  const candidates: FetchLeadDetailsPayload[] = [];
  for await (const entry of deps.kv.list<FailedJobRecord>({ prefix: JOBS_FAILED_PREFIX })) {
    const job = entry.value;
    if (job.type !== FETCH_LEAD_DETAILS) continue;
    const payload = job.payload as Partial<FetchLeadDetailsPayload> | null;
    if (typeof payload?.leadId !== "string" || typeof payload.pageId !== "string") continue;
    if (!accept(payload.pageId)) continue;
    candidates.push(payload as FetchLeadDetailsPayload);
  }
  for (const payload of candidates) {
    const lead = await deps.leads.getLead(payload.leadId);
    if (lead === null || lead.details !== "failed" || !isAccessFailure(lead.detailsError)) continue;
    const { outcome } = await retryLeadDetails(deps, payload.leadId);
    if (outcome === "queued") resumed.push(payload.leadId);
  }
  return resumed;
}
