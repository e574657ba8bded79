// The services one app instance runs with; routes reach them through `ctx.state.services`.

import type { Config } from "./config.ts";
import type { AlertStore } from "./alerts.ts";
import type { RateLimiter } from "./auth/rate_limiter.ts";
import type { GraphClient } from "./facebook/graph_client.ts";
import type { JobQueue } from "./jobs/queue.ts";
import type { LeadWorker } from "./lead_worker.ts";
import type { LeadEventServices } from "./lead_events/services.ts";
import type { LeadPipeline } from "./leads/pipeline.ts";
import type { LiveHub } from "./leads/live.ts";
import type { LeadStore } from "./leads/store.ts";
import type { Logger } from "./log.ts";
import type { MetaHealthMonitor } from "./meta_health/monitor.ts";
import type { Reconciler } from "./reconcile/reconciler.ts";

/** What the app was built with: configuration, storage and the long-lived core services. */
export interface AppServices extends LeadEventServices {
  config: Config;
  kv: Deno.Kv;
  log: Logger;
  /** When this process started (ms since epoch). */
  startedAt: number;
  /**
   * This server's own base URL as it listens (loopback for a wildcard address, no trailing
   * slash), set once it listens; null while not serving (an app called in-process). Never taken
   * from a request's Host header.
   */
  selfUrl: string | null;
  /** PBKDF2 iterations for new password hashes (600,000; tests lower it for speed). */
  passwordIterations: number;
  /** The lead store (deduped inserts, updates, change log). */
  leads: LeadStore;
  /** Durable background jobs (lead details fetches). */
  jobs: JobQueue;
  /** The Graph API client (the demo simulator in demo mode). */
  graph: GraphClient;
  /** Dashboard-wide alerts (expired tokens, missing permissions). */
  alerts: AlertStore;
  /** Webhook ingestion, its secrets, the demo simulator and the job sweep. */
  pipeline: LeadPipeline;
  /** The live hub: one `kv.watch` on the change head, fanned out to every open event stream. */
  live: LiveHub;
  /** Reconciliation with Meta (sync requests, cron, status and progress). */
  reconciler: Reconciler;
  /** Routing, re-assignment and repeat-submission passes over the leads, once a second. */
  worker: LeadWorker;
  /** Checks of the Meta wiring on a schedule: tokens, subscriptions, webhook URL, lost webhooks. */
  metaHealth: MetaHealthMonitor;
  /** Bad webhook signatures per client address: a flood of forgeries gets 429. */
  webhookForgeries: RateLimiter;
}
