// The server's Meta health monitor: runs the checks on a schedule, keeps the last report, raises alerts, resumes leads.

import type { AlertStore } from "../alerts.ts";
import type { GraphAdminClient } from "../facebook/graph_admin.ts";
import type { JobQueue } from "../jobs/queue.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { type AlertChanges, applyHealthAlerts } from "./alerts.ts";
import { runMetaCheck, type TokenToCheck } from "./check.ts";
import { metaHealthKey } from "./keys.ts";
import { resumeAccessFailedLeads } from "./resume.ts";
import type { FormSummary, MetaHealthReport } from "./types.ts";
import {
  recordLeadOrigins,
  summarizeWebhookLoss,
  type WebhookLossOptions,
  type WebhookLossSummary,
} from "./webhook_loss.ts";

/** What started a check. "manual" is an admin's Check now: it also retries access-failed leads. */
export type MetaCheckTrigger = "start" | "cron" | "manual";

/** What the monitor keeps at `["meta_health"]` after each check. */
export interface StoredMetaHealth {
  report: MetaHealthReport;
  loss: WebhookLossSummary;
  trigger: MetaCheckTrigger;
  /** Leads whose details fetch this check scheduled again (their token works again). */
  resumed: number;
  /** The labels of the tokens that worked, to notice one that starts working again. */
  workingTokens: string[];
}

/** What the monitor runs with. */
export interface MetaHealthMonitorOptions {
  kv: Deno.Kv;
  leads: LeadStore;
  jobs: JobQueue;
  alerts: AlertStore;
  log: Pick<Logger, "info" | "warn" | "error">;
  graph: GraphAdminClient;
  appSecret: string;
  appId: string | null;
  tokens: TokenToCheck[];
  webhook: { url: string | null; verifyToken: string; why?: string };
  /** The pages Leadline knows (configured, seen, added in settings). */
  listPages(): Promise<string[]>;
  /** A page's lead forms as the sweeps found them (no Graph call); null when unknown. */
  knownForms?(pageId: string): Promise<FormSummary[] | null>;
  now?(): Date;
  loss?: WebhookLossOptions;
  /** Pages listed from `/me/accounts` when none is known yet (default 25). */
  accountsLimit?: number;
}

/** Runs and remembers the checks. */
export interface MetaHealthMonitor {
  /**
   * Runs every check now: Meta's answers, webhook loss, alerts, and a new fetch of leads that
   * failed for a token or permission that works now. Callers at the same time share one run.
   */
  check(options?: { trigger?: MetaCheckTrigger }): Promise<StoredMetaHealth>;
  /** The last check's result, or null before the first. */
  last(): Promise<StoredMetaHealth | null>;
  /** Runs a first check after `delayMs` (default 5 s); the serve path calls it, tests do not. */
  start(delayMs?: number): void;
  /** Cancels the first check if it has not run, and waits for a running one. */
  stop(): Promise<void>;
}

/** KV refuses values over 64 KiB; the stored report stays clear of that. */
const MAX_STORED_BYTES = 60_000;

/**
 * A token that works: `debug_token` says valid with every required permission, or (without an
 * app id) a page it serves answered.
 */
function workingTokens(report: MetaHealthReport): string[] {
  return report.tokens.filter((token) => {
    if (token.status === "ok" || token.status === "warning") return true;
    if (token.status !== "skipped") return false;
    return report.pages.some((page) => page.tokenLabel === token.label && page.subscribed !== null);
  }).map((token) => token.label);
}

/** The stored form of a check, made to fit in one KV value by dropping detail when it must. */
export function fitForKv(stored: StoredMetaHealth): StoredMetaHealth {
  const size = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;
  if (size(stored) <= MAX_STORED_BYTES) return stored;
  const trimmed: StoredMetaHealth = structuredClone(stored);
  trimmed.report.notes.push("Some detail was left out to keep the report small.");
  for (const page of trimmed.report.pages) page.forms = page.forms?.slice(0, 10) ?? null;
  for (const page of trimmed.loss.pages) page.recent = page.recent.slice(0, 1);
  while (size(trimmed) > MAX_STORED_BYTES && trimmed.report.pages.length > 0) {
    trimmed.report.pages.pop();
  }
  while (size(trimmed) > MAX_STORED_BYTES && trimmed.loss.pages.length > 0) {
    trimmed.loss.pages.pop();
  }
  return trimmed;
}

/** Makes the monitor; nothing runs until `check` or `start`. */
export function createMetaHealthMonitor(options: MetaHealthMonitorOptions): MetaHealthMonitor {
  const now = options.now ?? (() => new Date());
  const { kv, log } = options;
  let running: Promise<StoredMetaHealth> | null = null;
  let firstRun = true;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const labelFor = (pageId: string) =>
    (options.tokens.find((token) => token.pageId === pageId) ??
      options.tokens.find((token) => token.pageId === null))?.label ?? null;

  async function run(trigger: MetaCheckTrigger): Promise<StoredMetaHealth> {
    const previous = (await kv.get<StoredMetaHealth>(metaHealthKey())).value;
    const report = await runMetaCheck({
      graph: options.graph,
      appSecret: options.appSecret,
      appId: options.appId,
      tokens: options.tokens,
      pageIds: await options.listPages(),
      webhook: options.webhook,
      listForms: false,
      knownForms: options.knownForms,
      accountsLimit: options.accountsLimit ?? 25,
      now,
    });
    await recordLeadOrigins(kv, options.leads, { ...options.loss, now });
    const loss = await summarizeWebhookLoss(kv, { ...options.loss, now });
    let changes: AlertChanges = { raised: [], cleared: [] };
    try {
      changes = await applyHealthAlerts(options.alerts, report, loss);
    } catch (error) {
      log.error("meta health alerts not updated", { error: (error as Error).message });
    }

    // A token that starts working again (or at start-up, or on an admin's Check now) releases the
    // leads that failed waiting for it; a token that kept working has nothing waiting.
    const working = workingTokens(report);
    const before = new Set(previous?.workingTokens ?? []);
    const resumeLabels = new Set(
      working.filter((label) => firstRun || trigger === "manual" || !before.has(label)),
    );
    let resumed: string[] = [];
    if (resumeLabels.size > 0) {
      resumed = await resumeAccessFailedLeads(
        { kv, leads: options.leads, jobs: options.jobs, now },
        (pageId) => resumeLabels.has(labelFor(pageId) ?? ""),
      );
    }
    firstRun = false;

    const stored = fitForKv({
      report,
      loss,
      trigger,
      resumed: resumed.length,
      workingTokens: working,
    });
    await kv.set(metaHealthKey(), stored);
    const fields = {
      trigger,
      status: report.status,
      problems: report.problems.map((problem) => `${problem.kind}:${problem.pageId ?? "app"}`),
      lostPages: loss.pages.filter((page) => page.lost).map((page) => page.pageId),
      raised: changes.raised,
      cleared: changes.cleared,
      resumed: resumed.length,
    };
    if (report.status === "ok" && changes.raised.length === 0) {
      log.info("meta health check", fields);
    } else log.warn("meta health check found problems", fields);
    return stored;
  }

  const monitor: MetaHealthMonitor = {
    check(checkOptions = {}) {
      if (running) return running;
      running = run(checkOptions.trigger ?? "manual").finally(() => {
        running = null;
      });
      return running;
    },

    async last() {
      return (await kv.get<StoredMetaHealth>(metaHealthKey())).value;
    },

    start(delayMs = 5_000) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        monitor.check({ trigger: "start" }).catch((error) =>
          log.error("meta health check failed", { error: (error as Error).message })
        );
      }, delayMs);
    },

    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
  return monitor;
}
