// The one place the app's services are built: each once, in dependency order, from the config,
// KV and the logger; started, scheduled (crons) and closed here too. Routes reach them through
// `ctx.state.services`; main.ts builds the web app on them and serves.

import type { Config } from "./config.ts";
import { type AlertStore, createAlertStore } from "./alerts.ts";
import { sessionsRevokedKey } from "./auth/keys.ts";
import { DEFAULT_ITERATIONS } from "./auth/password.ts";
import type { RateLimiter } from "./auth/rate_limiter.ts";
import { findEndedSessions } from "./auth/sessions.ts";
import { type CapiGraph, type CapiService, createCapi } from "./capi/mod.ts";
import { randomToken } from "./crypto.ts";
import { createGraphAdminClient } from "./facebook/graph_admin.ts";
import { createGraphClient, type GraphClient, pageTokenFor } from "./facebook/graph_client.ts";
import { createLeadBatcher } from "./facebook/lead_batcher.ts";
import { createPrefetchingReader } from "./facebook/lead_prefetch.ts";
import { createWebhookForgeryLimiter } from "./facebook/webhook_forgeries.ts";
// Type only: the simulator's code is loaded by `connectMeta`, in demo mode alone.
import type { GraphSimulator } from "./graph_sim/mod.ts";
import { createJobQueue, type JobQueue } from "./jobs/queue.ts";
import { createLeadEventFeed, type LeadEventFeed } from "./lead_events/feed.ts";
import { createLeadWorker, type LeadWorker } from "./lead_worker.ts";
import {
  FETCH_LEAD_DETAILS,
  fetchLeadDetailsFailedHook,
  fetchLeadDetailsHandler,
} from "./leads/fetch_details.ts";
import { createDetailsInFlight } from "./leads/details_in_flight.ts";
import { createIngestion, type Ingestion } from "./leads/ingest.ts";
import { createLiveHub, type LiveHub } from "./leads/live.ts";
import type { Lead } from "./leads/model.ts";
import { purgeExpired } from "./leads/retention.ts";
import { createLeadStore, type LeadStore } from "./leads/store.ts";
import { contactIndexWrites, updateContactIndex } from "./leads/contact_index.ts";
import { withStoreMetrics } from "./leads/store_metrics.ts";
import type { Logger } from "./log.ts";
import { configuredTokens, type TokenToCheck, webhookUrlOf } from "./meta_health/check.ts";
import { createMetaHealthMonitor, type MetaHealthMonitor } from "./meta_health/monitor.ts";
import { createOutbound, type OutboundService } from "./outbound/mod.ts";
import { createPush, type PushService } from "./push/mod.ts";
import { RECONCILE_CRON_NAME, reconcileCronHandler, reconcileSchedule } from "./reconcile/cron.ts";
import { listReconcileForms } from "./reconcile/forms.ts";
import { followLeadPages, knownPagesLister, seenPageWrites } from "./reconcile/pages.ts";
import { createReconciler, type Reconciler } from "./reconcile/reconciler.ts";

/** The credentials the webhook checks; generated for the run in demo mode. Secrets. */
export interface WebhookSecrets {
  appSecret: string;
  verifyToken: string;
}

/** What the app was built with: configuration, storage and each long-lived service, once. */
export interface AppServices {
  config: Config;
  kv: Deno.Kv;
  log: Logger;
  /** When this process started (ms since epoch). */
  startedAt: number;
  /** No other process runs on this KV (see ServicesOptions.exclusiveKv). */
  exclusiveKv: boolean;
  /**
   * This server's own base URL as it listens (loopback for a wildcard address, no trailing
   * slash), set once it listens; null while not serving (an app called in-process). Never taken
   * from a request's Host header.
   */
  selfUrl: string | null;
  /** PBKDF2 iterations for new password hashes (600,000; tests lower it for speed). */
  passwordIterations: number;
  /** The webhook's credentials: Meta's app secret and verify token, or the demo run's. */
  webhook: WebhookSecrets;
  /** The in-process Graph API simulator in demo mode (no Meta credentials), else null. */
  simulator: GraphSimulator | null;
  /** The Graph API client (pointed at the simulator in demo mode). */
  graph: GraphClient;
  /** The lead store (deduped inserts, updates, change log), counted for /metrics. */
  leads: LeadStore;
  /** Dashboard-wide alerts (expired tokens, missing permissions). */
  alerts: AlertStore;
  /** Durable background jobs (lead details fetches, reconcile resumes, push, webhooks, reports). */
  jobs: JobQueue;
  /** Webhook deliveries in (and kept deliveries replayed): leads stored with their fetch jobs. */
  ingestion: Ingestion;
  /** Bad webhook signatures per client address: a flood of forgeries gets 429. */
  webhookForgeries: RateLimiter;
  /** The live hub: one `kv.watch` on the change head, fanned out to every open event stream. */
  live: LiveHub;
  /** Reconciliation with Meta (sync requests, cron, status and progress). */
  reconciler: Reconciler;
  /** Routing, re-assignment and repeat-submission passes over the leads, once a second. */
  worker: LeadWorker;
  /** Checks of the Meta wiring on a schedule: tokens, subscriptions, webhook URL, lost webhooks. */
  metaHealth: MetaHealthMonitor;
  /** Lead events from the change log, handed to push, webhooks and the Conversions API. */
  leadEvents: LeadEventFeed;
  /** Web Push: VAPID key, lead notifications, test messages. */
  push: PushService;
  /** Outbound webhooks: signed, ordered, retried deliveries of lead events to admins' URLs. */
  outbound: OutboundService;
  /** Lead quality back to Meta: mapped stages reported to the Conversions API (META_DATASET_ID). */
  capi: CapiService;
}

/** Options of {@linkcode createServices}. */
export interface ServicesOptions {
  /** PBKDF2 iterations for new password hashes; tests lower it. Default 600,000. */
  passwordIterations?: number;
  /**
   * True when no other process runs on this KV (the one server of a local KV file, which holds
   * its lock): at start, what a crashed process left in the webhook inbox is stored at once
   * rather than when its leases expire.
   */
  exclusiveKv?: boolean;
}

/** The lead worker's backfill of the contact index and seen pages for older versions' leads. */
export const DERIVED_BACKFILL = "contact_index+seen_pages";

/**
 * Builds every service of one app, each once, in dependency order: Meta (the Graph API, or in
 * demo mode the simulator, started here), the store, alerts and job queue, ingestion, the live hub,
 * the reconciler, the lead worker, the Meta health monitor, then the lead event feed and its
 * consumers (push, outbound webhooks, the Conversions API). Nothing runs in the background until
 * {@linkcode startServices}.
 */
export async function createServices(
  config: Config,
  kv: Deno.Kv,
  log: Logger,
  options: ServicesOptions = {},
): Promise<AppServices> {
  const meta = await connectMeta(config, log);
  const graph = createGraphClient({
    baseUrl: meta.graphBase,
    version: config.graphApiVersion,
    appSecret: meta.webhook.appSecret,
    tokenForPage: meta.tokenForPage,
  });
  // The contact index and the pages leads came from are written in each lead's own commit, so
  // no request ever catches them up, however many leads are stored.
  const contactIndex = contactIndexWrites({ defaultCountry: config.defaultPhoneCountry });
  const seenPages = seenPageWrites();
  const leads = withStoreMetrics(createLeadStore(kv, {
    deriveWrites(op, write) {
      contactIndex(op, write);
      seenPages(op, write);
    },
  }));
  const alerts = createAlertStore(kv);

  // The hub waits a moment for the name of a lead whose answers are being fetched here.
  const detailsInFlight = createDetailsInFlight();
  // A new lead's answers are read while its stub is committed; its job takes them after.
  const leadReader = createPrefetchingReader(createLeadBatcher(graph));
  const fetchDeps = {
    reader: leadReader,
    kv,
    leads,
    graph,
    alerts,
    log: log.child({ job: FETCH_LEAD_DETAILS }),
    inFlight: detailsInFlight,
    // The answers reach the dashboards while their commit runs (the hub below).
    preview: (lead: Lead) => live.preview(lead),
  };
  const jobs = createJobQueue(kv, {
    leaseMs: config.jobs.leaseMs,
    maxAttempts: config.jobs.maxAttempts,
    backoff: config.jobs.backoffMs === null ? undefined : () => config.jobs.backoffMs!,
    onFailed: fetchLeadDetailsFailedHook(fetchDeps),
    log,
  });
  jobs.register(FETCH_LEAD_DETAILS, fetchLeadDetailsHandler(fetchDeps));
  const ingestion = createIngestion({
    kv,
    leads,
    jobs,
    appSecret: meta.webhook.appSecret,
    log,
    prefetch: (leadgenId, pageId) => leadReader.prefetch(leadgenId, pageId),
    deliveryRetentionMs: config.retention.deliveryDays * 24 * 60 * 60 * 1000,
  }, { inbox: { threshold: config.webhookInboxThreshold } });

  const live = createLiveHub(kv, leads, {
    maxSubscribers: config.live.maxStreams,
    // Each stream's owner is its session's digest: a revoked or expired session ends its streams.
    maxPerOwner: config.live.maxStreamsPerSession,
    checkOwners: (idHashes) => findEndedSessions(kv, idHashes),
    revocationKey: sessionsRevokedKey(),
    recheckMs: config.live.sessionCheckMs,
    onError: (error) => log.error("live hub watch failed; restarting it", { error }),
    detailsInFlight,
    holdMs: config.live.nameWaitMs,
  });

  // Live, the pages of META_PAGE_TOKENS, every page a lead arrived from and those added in
  // settings; in demo mode, the simulator's (its held-back leads are what Sync finds).
  const simulator = meta.simulator;
  const listPages = simulator
    ? () => Promise.resolve(simulator.pages.map((page) => page.id))
    : knownPagesLister(kv, () => Object.keys(config.meta?.pageTokens ?? {}));
  const reconciler = createReconciler({
    kv,
    graph,
    store: leads,
    alerts,
    jobs,
    log: log.child({ part: "reconcile" }),
    listPages,
    overlapMs: config.reconcile.overlapMs,
    minIntervalMs: config.reconcile.minIntervalMs,
    backfillDays: config.reconcile.backfillDays,
  });
  reconciler.registerJobs();

  const worker = createLeadWorker({
    kv,
    store: leads,
    log,
    defaultCountry: config.defaultPhoneCountry,
    // Leads stored before the contact index and the seen pages were written in their commits.
    backfill: {
      name: DERIVED_BACKFILL,
      async run() {
        await updateContactIndex(kv, leads, { defaultCountry: config.defaultPhoneCountry });
        await followLeadPages(kv, leads, new Date());
      },
    },
  });

  // Forms come from what the sweeps found, so a check costs one `debug_token` per token and two
  // calls per page.
  const publicUrl = config.metaHealth.publicUrl;
  const metaHealth = createMetaHealthMonitor({
    kv,
    leads,
    jobs,
    alerts,
    log: log.child({ part: "meta_health" }),
    knownForms: async (pageId) => {
      const forms = (await listReconcileForms(kv)).filter((form) => form.pageId === pageId);
      return forms.length === 0
        ? null
        : forms.map((form) => ({ id: form.formId, name: form.name, status: form.status }));
    },
    graph: createGraphAdminClient({
      baseUrl: meta.graphBase,
      version: config.graphApiVersion,
      appSecret: meta.webhook.appSecret,
    }),
    appSecret: meta.webhook.appSecret,
    appId: meta.appId,
    tokens: meta.tokensToCheck,
    webhook: {
      url: publicUrl ? webhookUrlOf(publicUrl) : null,
      verifyToken: meta.webhook.verifyToken,
      ...(simulator
        ? { why: "not checked: in demo mode set PUBLIC_URL to check an address Meta could call" }
        : {}),
    },
    listPages,
  });

  const eventsLog = log.child({ part: "lead_events" });
  const leadEvents = createLeadEventFeed({ kv, store: leads, log: eventsLog });
  const sinkDeps = { config, kv, store: leads, jobs, feed: leadEvents, log: eventsLog };
  const push = await createPush(sinkDeps);
  const outbound = createOutbound(sinkDeps);
  const capi = createCapi({ ...sinkDeps, graph: meta.capi });

  return {
    config,
    kv,
    log,
    startedAt: Date.now(),
    exclusiveKv: options.exclusiveKv ?? false,
    selfUrl: null,
    passwordIterations: options.passwordIterations ?? DEFAULT_ITERATIONS,
    webhook: meta.webhook,
    simulator,
    graph,
    leads,
    alerts,
    jobs,
    ingestion,
    webhookForgeries: createWebhookForgeryLimiter(kv),
    live,
    reconciler,
    worker,
    metaHealth,
    leadEvents,
    push,
    outbound,
    capi,
  };
}

/**
 * Starts the background work: the job runner (what is due at once, jobs left by a crash or a
 * stop, then a sweep every second), the webhook inbox's processor (with what a crashed process
 * left in the inbox, at once when this process has the KV to itself), the lead worker, the live
 * hub and the lead event feed. The Meta health monitor's first check is started by the server
 * once it listens.
 */
export async function startServices(services: AppServices): Promise<void> {
  services.jobs.start();
  services.ingestion.inbox.start({ takeOver: services.exclusiveKv });
  services.worker.start();
  await services.live.start();
  await services.leadEvents.start();
}

/**
 * Stops every service, in the reverse of the order they depend on each other: event streams first
 * (with a retry hint), the webhook inbox (what waits in it is stored first), then the worker, the
 * health checks and the lead event consumers (their pending timers cleared; jobs left run at the
 * next start), then the job runner (waiting for running jobs), then the demo simulator. The KV
 * store is the caller's to close.
 */
export async function closeServices(services: AppServices): Promise<void> {
  await services.live.stop();
  await services.ingestion.inbox.stop();
  await services.worker.stop();
  await services.metaHealth.stop();
  await services.leadEvents.stop();
  services.push.stop();
  services.outbound.stop();
  await services.jobs.stop();
  await services.simulator?.close();
}

/**
 * Registers the `Deno.cron` sweeps; each runs on `running()`, the services once the app serves (a
 * run before that does nothing). Only from main.ts's `serve()`, before `Deno.serve`: a cron may be
 * registered once per process, Deno Deploy only finds those registered before the server starts,
 * and tests call `services.jobs.runDue()` directly. On Deno Deploy the cron is what wakes an
 * instance to pick up jobs whose in-process run never happened (a crash between commit and fetch).
 */
export function registerCronJobs(config: Config, running: () => AppServices | null): void {
  Deno.cron("leadline job sweep", "* * * * *", async () => {
    const services = running();
    if (services === null) return;
    const result = await services.jobs.runDue();
    if (result.claimed > 0) services.log.info("cron job sweep", { ...result });
  });
  // The worker runs every second in-process; on Deno Deploy the cron wakes an idle instance so
  // routing and re-assignment still happen.
  Deno.cron("leadline lead worker", "* * * * *", async () => {
    const services = running();
    if (services !== null) await services.worker.runOnce();
  });
  Deno.cron(RECONCILE_CRON_NAME, reconcileSchedule(config.reconcile.everyMinutes), async () => {
    const services = running();
    if (services !== null) await reconcileCronHandler(services.reconciler)();
  });
  Deno.cron(
    "leadline meta health",
    reconcileSchedule(config.metaHealth.everyMinutes),
    async () => {
      const services = running();
      if (services === null) return;
      try {
        await services.metaHealth.check({ trigger: "cron" });
      } catch (error) {
        services.log.error("meta health check failed", { error: (error as Error).message });
      }
    },
  );
  // Retention: leads past LEAD_RETENTION_DAYS and raw deliveries past DELIVERY_RETENTION_DAYS,
  // hourly; each pass is bounded and picks up where a crash or the last pass stopped.
  Deno.cron("leadline data retention", "23 * * * *", async () => {
    const services = running();
    if (services !== null) await runRetention(services);
  });
}

/**
 * One retention pass over the app's store (see purgeExpired), logged when it did anything; errors
 * are logged and left for the next pass.
 */
export async function runRetention(services: AppServices, now?: () => Date): Promise<void> {
  const { config, kv, leads, log } = services;
  try {
    const result = await purgeExpired(kv, leads, {
      leadRetentionDays: config.retention.leadDays,
      deliveryRetentionDays: config.retention.deliveryDays,
      defaultCountry: config.defaultPhoneCountry,
      now,
    });
    if (result.leadsPurged + result.erasuresFinished + result.deliveriesDeleted > 0) {
      log.info("retention pass", { ...result });
    }
  } catch (error) {
    log.error("retention pass failed", { error: (error as Error).message });
  }
}

/** Where this app reaches Meta, and with which credentials: decided once, here. */
interface MetaConnection {
  /** The Graph API's base URL (the simulator's in demo mode). */
  graphBase: string;
  webhook: WebhookSecrets;
  simulator: GraphSimulator | null;
  /** The token a Graph call about a page uses. */
  tokenForPage(pageId: string): string | null;
  /** The Meta app the health checks ask about (META_APP_ID, or the simulator's). */
  appId: string | null;
  /** The tokens the health checks look at. */
  tokensToCheck: TokenToCheck[];
  /** Where Conversions API reports go. */
  capi: CapiGraph;
}

/**
 * Live: the Graph API with the configured credentials. Demo mode (no Meta credentials): an app
 * secret, verify token and access token made for this run, and the Graph API simulator started on
 * 127.0.0.1:`config.simulatorPort` (any free port when that one is taken). The simulator's code
 * is imported here and nowhere else in the app, so a live server never loads it.
 */
async function connectMeta(config: Config, log: Logger): Promise<MetaConnection> {
  if (config.meta) {
    const meta = config.meta;
    return {
      graphBase: config.graphApiBase,
      webhook: { appSecret: meta.appSecret, verifyToken: meta.verifyToken },
      simulator: null,
      tokenForPage: (pageId) => pageTokenFor(meta, pageId),
      appId: config.metaHealth.appId,
      tokensToCheck: configuredTokens(meta),
      capi: {
        baseUrl: config.graphApiBase,
        appSecret: meta.appSecret,
        accessToken: (pageId) => meta.accessToken ?? (pageId ? pageTokenFor(meta, pageId) : null),
      },
    };
  }
  const webhook = { appSecret: randomToken(), verifyToken: randomToken(24) };
  const accessToken = randomToken();
  const simulator = await startDemoSimulator(webhook, accessToken, config.simulatorPort, log);
  // The command to send test leads needs the server's port too: it is logged with "listening".
  log.info("demo mode: no Meta credentials are set; a Graph API simulator stands in for Meta", {
    simulatorUrl: simulator.url,
  });
  return {
    graphBase: simulator.url,
    webhook,
    simulator,
    tokenForPage: () => accessToken,
    appId: simulator.appId,
    tokensToCheck: [{ label: "demo token", token: accessToken, pageId: null }],
    capi: {
      baseUrl: simulator.url,
      appSecret: webhook.appSecret,
      accessToken: () => accessToken,
    },
  };
}

async function startDemoSimulator(
  { appSecret, verifyToken }: WebhookSecrets,
  accessToken: string,
  port: number,
  log: Logger,
): Promise<GraphSimulator> {
  const { startGraphSimulator } = await import("./graph_sim/mod.ts");
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
