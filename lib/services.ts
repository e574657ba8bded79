// The services one app instance runs with; routes reach them through `ctx.state.services`.

import type { Config } from "../fresh.config.ts";
import type { AlertStore } from "./alerts.ts";
import type { GraphClient } from "./facebook/graph_client.ts";
import type { JobQueue } from "./jobs/mod.ts";
import type { LeadPipeline } from "./leads/pipeline.ts";
import type { LiveHub } from "./leads/live.ts";
import type { LeadStore } from "./leads/store.ts";
import type { Logger } from "./log.ts";
import type { Reconciler } from "./reconcile/mod.ts";

/** What the app was built with: configuration, storage and the long-lived core services. */
export interface AppServices {
  config: Config;
  kv: Deno.Kv;
  log: Logger;
  /** When this process started (ms since epoch). */
  startedAt: number;
  /** The port the server listens on, once it does (PORT may be 0: any free port). */
  listenPort?: number;
  /** PBKDF2 iterations for new password hashes; default 600,000. Tests lower it for speed. */
  passwordIterations?: number;
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
}
