// Wires lead ingestion for one app: store, job queue, Graph client, alerts, and the demo simulator.

import type { Config } from "../config.ts";
import { type AlertStore, createAlertStore } from "../alerts.ts";
import { randomToken } from "../crypto.ts";
import { createGraphClient, type GraphClient } from "../facebook/graph_client.ts";
import { type GraphSimulator, startGraphSimulator } from "../graph_sim/mod.ts";
import {
  createJobQueue,
  type JobQueue,
  type JobQueueOptions,
  type RunDueResult,
} from "../jobs/queue.ts";
import type { Logger } from "../log.ts";
import {
  FETCH_LEAD_DETAILS,
  fetchLeadDetailsFailedHook,
  fetchLeadDetailsHandler,
} from "./fetch_details.ts";
import { recordReplay } from "./deliveries.ts";
import { type IngestDeps, type IngestResult, ingestWebhook, replayDelivery } from "./ingest.ts";
import { createLeadStore, type LeadStore } from "./store.ts";
import { withStoreMetrics } from "./store_metrics.ts";

/** The credentials the webhook checks; generated for the run in demo mode. Secrets. */
export interface WebhookSecrets {
  appSecret: string;
  verifyToken: string;
}

/** Everything ingestion runs on, for one app instance. */
export interface LeadPipeline {
  leads: LeadStore;
  jobs: JobQueue;
  graph: GraphClient;
  alerts: AlertStore;
  webhook: WebhookSecrets;
  /** The in-process Graph API simulator in demo mode, else null. */
  simulator: GraphSimulator | null;
  /** Ingests one webhook delivery (see ingestWebhook). */
  ingest(rawBody: Uint8Array, signature: string | null, requestId?: string): Promise<IngestResult>;
  /**
   * Runs a kept delivery's exact bytes through ingestion again (the dedupe makes it safe) and
   * records the replay on it; null when the delivery has expired or never existed.
   */
  replay(
    deliveryId: string,
    options?: { requestId?: string; by?: string | null },
  ): Promise<IngestResult | null>;
  /** Runs every job that is due or whose lease expired; what the cron and start-up sweeps call. */
  sweepJobs(): Promise<RunDueResult>;
  /** Starts the job runner (sweeps at once, then every second). */
  start(): void;
  /** Stops the job runner (waiting for running jobs) and the simulator. */
  close(): Promise<void>;
}

/** Options of createLeadPipeline. */
export interface LeadPipelineOptions {
  config: Config;
  kv: Deno.Kv;
  log: Logger;
  /** Overrides of the job queue's options (tests). */
  jobs?: Partial<JobQueueOptions>;
}

/** The page's token: its own from META_PAGE_TOKENS, else META_ACCESS_TOKEN. */
export function pageTokenFor(
  meta: { accessToken: string | null; pageTokens: Record<string, string> },
  pageId: string,
): string | null {
  return Object.hasOwn(meta.pageTokens, pageId) ? meta.pageTokens[pageId] : meta.accessToken;
}

/**
 * Builds the pipeline. Without Meta credentials (demo mode) it generates an app secret, verify
 * token and access token for this run, starts the Graph API simulator on
 * 127.0.0.1:`config.simulatorPort` (any free port when that one is taken) and points the Graph
 * client at it. The job runner is not started: call `start()`.
 */
export async function createLeadPipeline(options: LeadPipelineOptions): Promise<LeadPipeline> {
  const { config, kv, log } = options;
  let simulator: GraphSimulator | null = null;
  let webhook: WebhookSecrets;
  let graph: GraphClient;
  if (config.meta) {
    const meta = config.meta;
    webhook = { appSecret: meta.appSecret, verifyToken: meta.verifyToken };
    graph = createGraphClient({
      baseUrl: config.graphApiBase,
      version: config.graphApiVersion,
      appSecret: meta.appSecret,
      tokenForPage: (pageId) => pageTokenFor(meta, pageId),
    });
  } else {
    webhook = { appSecret: randomToken(), verifyToken: randomToken(24) };
    const accessToken = randomToken();
    simulator = await startDemoSimulator(webhook, accessToken, config.simulatorPort, log);
    graph = createGraphClient({
      baseUrl: simulator.url,
      version: config.graphApiVersion,
      appSecret: webhook.appSecret,
      tokenForPage: () => accessToken,
    });
    // The command to send test leads needs the server's port too: it is logged with "listening".
    log.info("demo mode: no Meta credentials are set; a Graph API simulator stands in for Meta", {
      simulatorUrl: simulator.url,
    });
  }

  const leads = withStoreMetrics(createLeadStore(kv));
  const alerts = createAlertStore(kv);
  const fetchDeps = { kv, leads, graph, alerts, log: log.child({ job: FETCH_LEAD_DETAILS }) };
  const jobs = createJobQueue(kv, {
    leaseMs: config.jobs.leaseMs,
    maxAttempts: config.jobs.maxAttempts,
    backoff: config.jobs.backoffMs === null ? undefined : () => config.jobs.backoffMs!,
    onFailed: fetchLeadDetailsFailedHook(fetchDeps),
    log,
    ...options.jobs,
  });
  jobs.register(FETCH_LEAD_DETAILS, fetchLeadDetailsHandler(fetchDeps));
  const ingestDeps: IngestDeps = { kv, leads, jobs, appSecret: webhook.appSecret, log };

  return {
    leads,
    jobs,
    graph,
    alerts,
    webhook,
    simulator,
    ingest: (rawBody, signature, requestId) =>
      ingestWebhook(ingestDeps, rawBody, signature, { requestId }),
    async replay(deliveryId, replayOptions = {}) {
      const result = await replayDelivery(ingestDeps, deliveryId, {
        requestId: replayOptions.requestId,
      });
      if (result === null || result.outcome === "unauthorized") return result;
      await recordReplay(kv, deliveryId, {
        at: new Date().toISOString(),
        by: replayOptions.by ?? null,
        requestId: replayOptions.requestId ?? null,
        outcome: result.outcome,
        inserted: "inserted" in result ? result.inserted : 0,
        duplicates: "duplicates" in result ? result.duplicates : 0,
      });
      return result;
    },
    sweepJobs: () => jobs.runDue(),
    start: () => jobs.start(),
    async close() {
      await jobs.stop();
      await simulator?.close();
    },
  };
}

async function startDemoSimulator(
  { appSecret, verifyToken }: WebhookSecrets,
  accessToken: string,
  port: number,
  log: Logger,
): Promise<GraphSimulator> {
  // A random seed: the same seed would make the same lead ids again after a restart, and the
  // dedupe would take new test leads for ones already stored.
  const seed = crypto.getRandomValues(new Uint32Array(1))[0];
  try {
    return await startGraphSimulator({ appSecret, accessToken, verifyToken, port, seed });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse) || port === 0) throw error;
    const simulator = await startGraphSimulator({
      appSecret,
      accessToken,
      verifyToken,
      port: 0,
      seed,
    });
    log.warn(
      "demo simulator port is taken; using another (the simulate command shown sets " +
        "GRAPH_SIMULATOR_PORT to it)",
      { port, simulatorUrl: simulator.url },
    );
    return simulator;
  }
}
