// The fetch job: reads a lead's answers from the Graph API into the stored lead, or says why it cannot.

import type { AlertStore } from "../alerts.ts";
import type { AlertKind } from "../wire.ts";
import type { GraphClient } from "../facebook/graph_client.ts";
import { GraphApiError } from "../facebook/graph_errors.ts";
import { createLeadBatcher, type LeadReader } from "../facebook/lead_batcher.ts";
import { mapLeadDetails } from "../facebook/lead_fields.ts";
import { PermanentJobError, RetryableJobError } from "../jobs/errors.ts";
import {
  COMPLETED_IN_COMMIT,
  type FailedJobRecord,
  type JobContext,
  type JobHandler,
  type JobQueue,
} from "../jobs/queue.ts";
import { commitAtomic, isKvLimitError } from "../kv_commit.ts";
import type { Logger } from "../log.ts";
import { formNameFor } from "./forms.ts";
import { LeadTooLargeError } from "./lead_size.ts";
import {
  applyLeadDetails,
  type Lead,
  type LeadDetails,
  markLeadDetailsFailed,
  markLeadDetailsPending,
} from "./model.ts";
import type { LeadStore } from "./store.ts";
import type { DetailsInFlight } from "./details_in_flight.ts";

/** How long a page found without alerts is not read again after a successful fetch. */
const QUIET_PAGE_MS = 10_000;

/** The job type of a lead details fetch; its idempotency key is the leadgen id. */
export const FETCH_LEAD_DETAILS = "fetch_lead_details";

/** What a fetch job carries. IDs are strings. */
export interface FetchLeadDetailsPayload {
  /** Our lead id (ULID). */
  leadId: string;
  leadgenId: string;
  pageId: string;
  formId: string | null;
  /** The webhook request that created the job, so its log lines can be found together. */
  requestId?: string | null;
}

/** What the fetch job needs. */
export interface FetchDetailsDeps {
  kv: Deno.Kv;
  leads: LeadStore;
  graph: GraphClient;
  alerts: AlertStore;
  log: Logger;
  now?: () => Date;
  /** Where running fetches are marked, so the live hub can wait a moment for the name. */
  inFlight?: DetailsInFlight;
  /**
   * How leads are read (default a batcher over `graph`): the app's reads ahead (see
   * createPrefetchingReader), taken by the jobs of the leads just stored.
   */
  reader?: LeadReader;
  /**
   * Hears of the lead with its answers the moment their commit has gone to KV (the live hub's
   * preview: the name reaches the dashboards while the commit runs).
   */
  preview?: (lead: Lead) => void;
}

function isPayload(value: unknown): value is FetchLeadDetailsPayload {
  const p = value as Partial<FetchLeadDetailsPayload> | null;
  return typeof p === "object" && p !== null && typeof p.leadId === "string" &&
    typeof p.leadgenId === "string" && typeof p.pageId === "string" &&
    (p.formId === null || p.formId === undefined || typeof p.formId === "string");
}

/** The readable reason shown on a lead whose fetch cannot succeed without someone acting. */
export function failureReason(error: GraphApiError, payload: FetchLeadDetailsPayload): string {
  const code = error.code !== null ? ` (Meta error ${error.code})` : "";
  switch (error.kind) {
    case "token":
      return `Meta refused the access token for page ${payload.pageId}${code}: it has expired, ` +
        `was revoked or is missing. Renew it (META_ACCESS_TOKEN or META_PAGE_TOKENS), then retry. ` +
        `Meta said: ${error.message}`;
    case "permission":
      return `Meta denied reading lead ${payload.leadgenId}${code}: the app needs the ` +
        `leads_retrieval permission and access to page ${payload.pageId}. Grant it, then retry. ` +
        `Meta said: ${error.message}`;
    case "not_found":
      return `Meta has no lead ${payload.leadgenId}${code}: it was deleted or never existed. ` +
        `Meta said: ${error.message}`;
    default:
      return `Meta rejected the request for lead ${payload.leadgenId}${code}: ${error.message}`;
  }
}

function alertKindOf(error: GraphApiError): AlertKind | null {
  if (error.kind === "token") return "token_expired";
  if (error.kind === "permission") return "permission_denied";
  return null;
}

/** Keeps the webhook's values where the Graph API sent nothing (null). */
function detailsOf(mapped: ReturnType<typeof mapLeadDetails>, formName: string | null) {
  const details: LeadDetails = { answers: mapped.answers };
  const fields = [
    "fullName",
    "email",
    "phone",
    "adId",
    "adName",
    "adsetId",
    "adsetName",
    "campaignId",
    "campaignName",
    "formId",
    "isOrganic",
    "platform",
    "createdTime",
  ] as const;
  for (const field of fields) {
    const value = mapped[field];
    if (value !== null) (details as Record<string, unknown>)[field] = value;
  }
  if (formName !== null) details.formName = formName;
  return details;
}

/**
 * The handler of `fetch_lead_details` jobs. Idempotent: a lead already fetched (or gone) makes no
 * Graph call. Transient errors and rate limits throw RetryableJobError (waiting at least what
 * Meta's X-Business-Use-Case-Usage asks); token and permission errors mark the lead failed and
 * raise a page alert; other refusals mark it failed. A success clears the page's alerts.
 */
export function fetchLeadDetailsHandler(deps: FetchDetailsDeps): JobHandler {
  const now = deps.now ?? (() => new Date());
  /**
   * Pages found without alerts a moment ago (page id -> when): a success clears a page's alerts,
   * and reading them after every lead cost a KV read for nothing. Alerts this handler raises
   * forget the page at once; ones raised elsewhere are cleared within QUIET_PAGE_MS.
   */
  const quietPages = new Map<string, number>();
  // Jobs that run together (a burst, a batch delivery) read their leads in shared requests.
  const reader = deps.reader ?? createLeadBatcher(deps.graph);
  async function clearAlertsAfterSuccess(pageId: string) {
    const checked = quietPages.get(pageId);
    if (checked !== undefined && Date.now() - checked < QUIET_PAGE_MS) return;
    const cleared = await deps.alerts.clearPageAlerts(pageId);
    if (quietPages.size > 10_000) quietPages.clear();
    if (cleared === 0) quietPages.set(pageId, Date.now());
    else quietPages.delete(pageId);
  }
  return async function fetchLeadDetails(payload, ctx) {
    if (!isPayload(payload)) {
      throw new PermanentJobError(`Cannot fetch lead details: the job payload is not valid`);
    }
    const end = deps.inFlight?.begin(payload.leadId);
    let outcome: Awaited<ReturnType<JobHandler>> = undefined;
    try {
      return outcome = await fetchAndStore(payload, ctx);
    } finally {
      end?.(outcome === COMPLETED_IN_COMMIT ? "fetched" : "not_fetched");
    }
  };

  async function fetchAndStore(
    payload: FetchLeadDetailsPayload,
    ctx: JobContext,
  ): ReturnType<JobHandler> {
    const log = deps.log.child({
      requestId: payload.requestId ?? null,
      leadId: payload.leadId,
      leadgenId: payload.leadgenId,
    });
    // A job on its first run, created with its lead in this process a moment ago, has nothing
    // to check: the lead is there and pending (the update below still never overwrites answers).
    if (!ctx.firstRun) {
      const lead = await deps.leads.getLead(payload.leadId);
      if (lead === null) {
        log.warn("details fetch skipped: the lead is gone");
        return;
      }
      if (lead.details === "fetched") return;
    }

    let mapped;
    try {
      mapped = mapLeadDetails(await reader.getLead(payload.leadgenId, payload.pageId));
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      if (error.retryable) {
        log.warn("details fetch will be retried", {
          attempt: ctx.attempt,
          kind: error.kind,
          code: error.code,
          error: error.message,
        });
        throw new RetryableJobError(error.message, {
          retryAfterMs: error.retryAfterMs ?? undefined,
          cause: error,
        });
      }
      const reason = failureReason(error, payload);
      await markFailed(deps.leads, payload.leadId, reason, now());
      const alertKind = alertKindOf(error);
      if (alertKind) {
        quietPages.delete(payload.pageId);
        await deps.alerts.setAlert({ kind: alertKind, pageId: payload.pageId, message: reason });
      }
      log.error("details fetch failed for good", { kind: error.kind, code: error.code, reason });
      throw new PermanentJobError(reason, { cause: error });
    }

    const formId = mapped.formId ?? payload.formId;
    let formName: string | null = null;
    if (formId !== null) {
      try {
        formName = await formNameFor(deps.kv, deps.graph, formId, payload.pageId, { now });
      } catch (error) {
        // The answers matter, the form's label does not: keep the lead and log why it has none.
        log.warn("form name unknown", { formId, error: (error as Error).message });
      }
    }
    const details = detailsOf(mapped, formName);
    let stored: Lead | null;
    try {
      stored = await deps.leads.updateLead(
        payload.leadId,
        (current) =>
          current.details === "fetched" ? null : applyLeadDetails(current, details, now()),
        // The answers and the job's removal in one commit: no finishing commit after it.
        {
          onCommit: ctx.complete ? (op) => ctx.complete!(op) : undefined,
          onCommitStarted: deps.preview,
        },
      );
    } catch (error) {
      // A lead that cannot be stored now never can be: fail the job at once, without more Graph calls.
      if (!(error instanceof LeadTooLargeError) && !isKvLimitError(error)) throw error;
      const reason = `Cannot store the answers of Meta lead ${payload.leadgenId}: ` +
        (error as Error).message;
      await markFailed(deps.leads, payload.leadId, reason, now());
      log.error("details fetch failed for good", { reason });
      throw new PermanentJobError(reason, { cause: error });
    }
    if (stored?.answersTruncated) {
      log.warn("lead answers shortened to fit storage", {
        answersTruncated: stored.answersTruncated,
      });
    }
    try {
      await clearAlertsAfterSuccess(payload.pageId);
    } catch (error) {
      // The lead is stored and the job done: the next good fetch for the page clears them.
      log.warn("page alerts not cleared", { error: (error as Error).message });
    }
    return stored !== null && ctx.complete ? COMPLETED_IN_COMMIT : undefined;
  }
}

/** Marks the lead failed with `reason`, unless it is fetched or already failed for that reason. */
async function markFailed(leads: LeadStore, leadId: string, reason: string, at: Date) {
  if ((await leads.getLead(leadId)) === null) return;
  await leads.updateLead(
    leadId,
    (lead) =>
      lead.details === "fetched" || (lead.details === "failed" && lead.detailsError === reason)
        ? null
        : markLeadDetailsFailed(lead, reason, at),
  );
}

/**
 * The queue's `onFailed` hook for fetch jobs: after the last retry the lead shows
 * `details: "failed"` with the last error. Other job types are left to their own hooks.
 */
export function fetchLeadDetailsFailedHook(
  deps: Pick<FetchDetailsDeps, "leads" | "log" | "now">,
): (type: string, payload: unknown, error: Error, job: FailedJobRecord) => Promise<void> {
  const now = deps.now ?? (() => new Date());
  return async function onFetchFailed(type, payload, error, job) {
    if (type !== FETCH_LEAD_DETAILS || !isPayload(payload)) return;
    const lead = await deps.leads.getLead(payload.leadId);
    // A permanent error already marked the lead with its reason.
    if (lead === null || lead.details !== "pending") return;
    const reason = `Gave up after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}: ` +
      error.message;
    await markFailed(deps.leads, payload.leadId, reason, now());
  };
}

/** What a retry request did. */
export type RetryOutcome = "queued" | "not_failed" | "not_found";

/**
 * Schedules the details fetch of a failed Meta lead again (the dashboard's retry button): the lead
 * goes back to `pending`, its failed job is requeued (or a new one is added), and the queue runs.
 */
export async function retryLeadDetails(
  deps: { kv: Deno.Kv; leads: LeadStore; jobs: JobQueue; now?: () => Date },
  leadId: string,
): Promise<{ outcome: RetryOutcome; lead: Lead | null }> {
  const now = deps.now ?? (() => new Date());
  const lead = await deps.leads.getLead(leadId);
  if (lead === null) return { outcome: "not_found", lead: null };
  if (lead.details !== "failed" || lead.leadgenId === null || lead.pageId === null) {
    return { outcome: "not_failed", lead };
  }
  const updated = await deps.leads.updateLead(
    leadId,
    (current) => current.details === "failed" ? markLeadDetailsPending(current, now()) : null,
  );
  if (updated === null) return { outcome: "not_failed", lead: await deps.leads.getLead(leadId) };
  const requeued = await deps.jobs.retryJob(FETCH_LEAD_DETAILS, updated.leadgenId!);
  if (requeued === "missing") {
    const payload: FetchLeadDetailsPayload = {
      leadId: updated.id,
      leadgenId: updated.leadgenId!,
      pageId: updated.pageId!,
      formId: updated.formId,
    };
    const op = deps.kv.atomic();
    deps.jobs.addJob(op, { type: FETCH_LEAD_DETAILS, key: updated.leadgenId!, payload });
    // A refused commit means a job for this lead appeared meanwhile: it will do the fetch.
    await commitAtomic(op);
  }
  deps.jobs.kick();
  return { outcome: "queued", lead: updated };
}
