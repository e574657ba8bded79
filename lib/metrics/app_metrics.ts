// Leadline's own metrics, one registry per process: what `GET /metrics` reports.

import { createRegistry, type MetricsRegistry } from "./registry.ts";

/**
 * The process's registry. Per process on purpose: on Deno Deploy each instance keeps and reports
 * its own counts (sum them across instances), and they start again from zero at every restart
 * (`leadline_process_start_time_seconds` says when), as Prometheus expects of counters.
 */
export const registry: MetricsRegistry = createRegistry();

/** Seconds: from a millisecond or two (a local commit) to the 10 s of a slow Graph call. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** How a webhook delivery was answered. */
export type DeliveryOutcome =
  | "ok"
  | "queued"
  | "duplicate_only"
  | "ignored"
  | "bad_signature"
  | "malformed"
  | "too_large"
  | "rate_limited"
  | "error";

/** Every {@linkcode DeliveryOutcome}, each shown from the start (0) so rates work at once. */
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  "ok",
  "queued",
  "duplicate_only",
  "ignored",
  "bad_signature",
  "malformed",
  "too_large",
  "rate_limited",
  "error",
];

/** `POST /webhook` answers by outcome. */
export const webhookDeliveries = registry.counter({
  name: "leadline_webhook_deliveries_total",
  help: "Webhook deliveries by outcome: ok (a new lead stored), queued (durable in the webhook " +
    "inbox, its leads stored right after the answer), duplicate_only (every lead known " +
    "already), ignored (no leadgen change), bad_signature (401), malformed (400), too_large (413), " +
    "rate_limited (429), error (500).",
  labelNames: ["outcome"],
});
for (const outcome of DELIVERY_OUTCOMES) webhookDeliveries.inc({ outcome }, 0);

/** From the webhook handler taking a delivery to the commit of its new leads. */
export const webhookToStored = registry.histogram({
  name: "leadline_webhook_to_stored_seconds",
  help: "Seconds from the webhook handler taking a delivery to the commit of its new leads " +
    "(deliveries that stored at least one lead; for a queued one, after its answer).",
  buckets: LATENCY_BUCKETS_SECONDS,
});

/** Leads stored, by the lead's source (meta, phone, sms, walk-in, other). */
export const leadsStored = registry.counter({
  name: "leadline_leads_stored_total",
  help: "New leads stored, by source (meta: from the webhook or a sync with Meta; phone, sms, " +
    "walk-in, other: entered by hand).",
  labelNames: ["source"],
});

/** Meta leads whose answers were fetched, or that ended `details failed`. */
export const leadDetails = registry.counter({
  name: "leadline_lead_details_total",
  help: "Meta leads whose details were fetched (fetched) or marked failed (failed).",
  labelNames: ["outcome"],
});
for (const outcome of ["fetched", "failed"]) leadDetails.inc({ outcome }, 0);

/** Graph API calls by endpoint, outcome (ok or the error kind) and Meta's error code. */
export const graphCalls = registry.counter({
  name: "leadline_graph_calls_total",
  help: "Graph API calls by endpoint, outcome (ok, or the error kind: transient, rate_limit, " +
    "token, permission, not_found, bad_request) and Meta's error code (empty when none).",
  labelNames: ["endpoint", "outcome", "code"],
});

/** How long Graph API calls took, by endpoint. */
export const graphCallDuration = registry.histogram({
  name: "leadline_graph_call_duration_seconds",
  help: "Seconds a Graph API call took, answer or error, by endpoint.",
  labelNames: ["endpoint"],
  buckets: LATENCY_BUCKETS_SECONDS,
});

/** Finished job runs by job type and outcome. */
export const jobRuns = registry.counter({
  name: "leadline_job_runs_total",
  help: "Background job runs by type and outcome: success, retry (will run again after a wait) " +
    "or failure (gave up; the job moved to jobs_failed).",
  labelNames: ["type", "outcome"],
});

/** Jobs due now and not yet claimed (read at each scrape). */
export const jobsDue = registry.gauge({
  name: "leadline_jobs_due",
  help: "Background jobs due now and not running (read from KV at each scrape; shared by every " +
    "instance on Deno Deploy).",
});

/** The age of the oldest job due and not claimed (read at each scrape). */
export const oldestDueJobAge = registry.gauge({
  name: "leadline_jobs_oldest_due_age_seconds",
  help: "Seconds the oldest due job has waited to be claimed (0 when none is due).",
});

/** Event streams open in this process (set at each scrape). */
export const openStreams = registry.gauge({
  name: "leadline_event_streams_open",
  help: "Dashboard event streams (/api/events) open in this process.",
});

/** From a lead change's commit to the live hub sending it to the open streams. */
export const storedToPushed = registry.histogram({
  name: "leadline_stored_to_pushed_seconds",
  help: "Seconds from the commit of a lead change to the live hub sending it to the open event " +
    "streams (changes sent while at least one stream was open).",
  buckets: LATENCY_BUCKETS_SECONDS,
});

/** Reconciliation sweeps by outcome. */
export const reconcileSweeps = registry.counter({
  name: "leadline_reconcile_sweeps_total",
  help: "Reconciliation sweeps with Meta that ran, by outcome: ok, error (finished early or " +
    "could not reach some page; the sync status says why) or failed (threw).",
  labelNames: ["outcome"],
});
for (const outcome of ["ok", "error", "failed"]) reconcileSweeps.inc({ outcome }, 0);

/** Leads Meta listed to reconciliation sweeps. */
export const reconcileScanned = registry.counter({
  name: "leadline_reconcile_leads_scanned_total",
  help: "Leads Meta listed to reconciliation sweeps.",
});

/** Leads reconciliation found that the webhook had missed. */
export const reconcileInserted = registry.counter({
  name: "leadline_reconcile_leads_inserted_total",
  help: "Leads reconciliation sweeps stored because no webhook had brought them.",
});

/** When this process started, so a drop in a counter reads as a restart. */
export const processStart = registry.gauge({
  name: "leadline_process_start_time_seconds",
  help: "Unix time this process started, in seconds.",
});
processStart.set(Math.floor(performance.timeOrigin / 1000));

/** Observes in `histogram` the seconds since `isoTime`; ignores a time it cannot read. */
export function observeSince(
  histogram: { observe(value: number): void },
  isoTime: string | undefined,
): void {
  if (isoTime === undefined) return;
  const at = Date.parse(isoTime);
  if (!Number.isNaN(at)) histogram.observe(Math.max(0, Date.now() - at) / 1000);
}

/** What a scrape reads besides the counters: values that belong to the moment of the scrape. */
export interface ScrapeSnapshot {
  openStreams: number;
  jobsDue: number;
  oldestDueJobAgeMs: number | null;
}

/** Sets the scrape-time gauges from `snapshot` and renders every metric of the process. */
export function renderMetrics(snapshot: ScrapeSnapshot): string {
  openStreams.set(snapshot.openStreams);
  jobsDue.set(snapshot.jobsDue);
  oldestDueJobAge.set((snapshot.oldestDueJobAgeMs ?? 0) / 1000);
  return registry.render();
}
