// Decides when a sweep runs: one at a time across processes, at most once per interval, resumed after a pause.

import type { GraphClient } from "../facebook/graph_client.ts";
import type { JobQueue } from "../jobs/queue.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { commitAtomic } from "../kv_commit.ts";
import { reconcileInserted, reconcileScanned, reconcileSweeps } from "../metrics/app_metrics.ts";
import { reconcileProgressKey, reconcileStateKey } from "./keys.ts";
import { acquireSweepLock } from "./lock.ts";
import { runSweep, type SweepOutcome } from "./sweep.ts";
import type { ReconcileState } from "./types.ts";
import type { PageAccessProblem, ReconcileStatus, SweepProgress, SyncResult } from "../wire.ts";

/** What asked for a sync; logged, and "resume" is the job that ends a pause. */
export type SyncTrigger = "manual" | "auto" | "cron" | "resume";

/** The part of lib/alerts.ts's AlertStore reconciliation uses. */
export interface ReconcileAlerts {
  setAlert(
    alert: { kind: "token_expired" | "permission_denied"; pageId: string | null; message: string },
  ): Promise<unknown>;
  clearPageAlerts(pageId: string): Promise<number>;
}

/** The job type that resumes a paused sweep. */
export const RESUME_SYNC_JOB = "reconcile_resume";

/** Options of createReconciler; the durations have the defaults the issue asks for. */
export interface ReconcilerOptions {
  kv: Deno.Kv;
  graph: GraphClient;
  store: LeadStore;
  /** The pages to sweep, asked before every sweep (see listKnownPageIds). */
  listPages(): Promise<string[]>;
  log: Pick<Logger, "info" | "warn" | "error">;
  /** Raises token and permission alerts with their page; none when absent. */
  alerts?: ReconcileAlerts;
  /** Schedules the resume of a paused sweep; without it the next trigger after `resumeAt` resumes. */
  jobs?: JobQueue;
  now?(): Date;
  /** How far before a form's watermark each listing starts (default 10 minutes). */
  overlapMs?: number;
  /** A request within this long after the last sweep gets its result back (default 60 s). */
  minIntervalMs?: number;
  /** How far back the first sweep of a form goes (default 90 days). */
  backfillDays?: number;
  /** How long the lock holds without a refresh (default 5 minutes). */
  lockTtlMs?: number;
  /** Leads per Graph page (default 100). */
  pageSize?: number;
  /** Wait before the one quick retry of a transient Graph failure (default 500 ms). */
  transientRetryDelayMs?: number;
  /** Pause after a rate limit when Meta did not say how long (default 5 minutes). */
  rateLimitPauseMs?: number;
  /** Pause after repeated transient failures (default 1 minute). */
  transientPauseMs?: number;
}

/** Reconciliation for one app: ask it for syncs, read its status. */
export interface Reconciler {
  /**
   * Sweeps unless a sweep ran within the minimum interval, a pause is not over yet, or another
   * process holds the lock; then it returns the last sweep's result with `skipped: true`. Callers
   * in this process while a sweep runs share that sweep's result.
   */
  requestSync(options?: { trigger?: SyncTrigger }): Promise<SyncResult>;
  /** The last result, the pause, page problems and the progress of the running or last sweep. */
  status(): Promise<ReconcileStatus>;
  /** Registers the resume job's handler on `jobs` (when given). */
  registerJobs(): void;
}

const MINUTE = 60_000;
const EMPTY_STATE: ReconcileState = { lastResult: null, resumeAt: null, pageProblems: [] };

/** Makes the reconciler; nothing runs until `requestSync`. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const now = options.now ?? (() => new Date());
  const minIntervalMs = options.minIntervalMs ?? MINUTE;
  const lockTtlMs = options.lockTtlMs ?? 5 * MINUTE;
  const { kv, log } = options;
  let running: Promise<SyncResult> | null = null;

  async function readState(): Promise<ReconcileState> {
    return { ...EMPTY_STATE, ...(await kv.get<ReconcileState>(reconcileStateKey())).value };
  }

  /** Why no sweep should run now, as the result to return; null when one should. */
  function skipReason(state: ReconcileState, at: number): SyncResult | null {
    if (state.resumeAt !== null) {
      return Date.parse(state.resumeAt) > at
        ? skippedResult(state, at, { reason: "paused", nextAllowedAt: Date.parse(state.resumeAt) })
        : null;
    }
    const last = state.lastResult;
    if (last && at - Date.parse(last.finishedAt) < minIntervalMs) {
      const nextAllowedAt = Date.parse(last.finishedAt) + minIntervalMs;
      return skippedResult(state, at, { reason: "recent", nextAllowedAt });
    }
    return null;
  }

  async function attempt(trigger: SyncTrigger): Promise<SyncResult> {
    const early = skipReason(await readState(), now().getTime());
    if (early) return early;
    const lock = await acquireSweepLock(kv, { ttlMs: lockTtlMs, now: () => now().getTime() });
    if (lock === null) {
      return skippedResult(await readState(), now().getTime(), {
        reason: "running",
        nextAllowedAt: null,
      });
    }
    try {
      // Another process may have finished a sweep between our read and the lock.
      const state = await readState();
      const late = skipReason(state, now().getTime());
      if (late) return late;
      log.info("reconcile sweep starting", { trigger });
      const outcome = await runSweep({
        kv,
        graph: options.graph,
        store: options.store,
        pageIds: await options.listPages(),
        now,
        log,
        overlapMs: options.overlapMs ?? 10 * MINUTE,
        backfillMs: (options.backfillDays ?? 90) * 24 * 60 * MINUTE,
        pageSize: options.pageSize ?? 100,
        transientRetryDelayMs: options.transientRetryDelayMs ?? 500,
        rateLimitPauseMs: options.rateLimitPauseMs ?? 5 * MINUTE,
        transientPauseMs: options.transientPauseMs ?? MINUTE,
        keepLock: () => lock.refresh(),
      });
      const result = resultOf(outcome);
      countSweep(result);
      const resumeAt = outcome.pause ? new Date(outcome.pause.until).toISOString() : null;
      await saveState(state, result, resumeAt, outcome);
      await updateAlerts(outcome);
      log.info("reconcile sweep finished", { trigger, ...result });
      return result;
    } catch (error) {
      reconcileSweeps.inc({ outcome: "failed" });
      throw error;
    } finally {
      await lock.release();
    }
  }

  async function saveState(
    previous: ReconcileState,
    result: SyncResult,
    resumeAt: string | null,
    outcome: SweepOutcome,
  ): Promise<void> {
    // Problems of pages this sweep did not reach (a pause came first) are kept.
    const reached = new Set([
      ...outcome.pagesReached,
      ...outcome.pageProblems.map((problem) => problem.pageId),
    ]);
    const pageProblems: PageAccessProblem[] = [
      ...previous.pageProblems.filter((problem) => !reached.has(problem.pageId)),
      ...outcome.pageProblems,
    ];
    const state: ReconcileState = { lastResult: result, resumeAt, pageProblems };
    const op = kv.atomic().set(reconcileStateKey(), state);
    if (resumeAt !== null && options.jobs) {
      // Keyed by the time, so a pause met while a resume job runs can schedule the next one.
      options.jobs.addJob(op, {
        type: RESUME_SYNC_JOB,
        key: resumeAt,
        payload: { resumeAt },
        dueAt: Date.parse(resumeAt),
      });
    }
    if (!(await commitAtomic(op)).ok) {
      // The resume job exists already; the state must be saved all the same.
      await kv.set(reconcileStateKey(), state);
    }
  }

  async function updateAlerts(outcome: SweepOutcome): Promise<void> {
    if (!options.alerts) return;
    for (const pageId of outcome.pagesReached) await options.alerts.clearPageAlerts(pageId);
    for (const problem of outcome.pageProblems) {
      await options.alerts.setAlert({
        kind: problem.kind === "token" ? "token_expired" : "permission_denied",
        pageId: problem.pageId,
        message: `Cannot sync leads of page ${problem.pageId} with Meta: ${problem.message}`,
      });
    }
  }

  const reconciler: Reconciler = {
    requestSync(syncOptions = {}) {
      if (running) return running;
      running = attempt(syncOptions.trigger ?? "manual").finally(() => {
        running = null;
      });
      return running;
    },

    async status() {
      const [state, progress] = await kv.getMany<[ReconcileState, SweepProgress]>([
        reconcileStateKey(),
        reconcileProgressKey(),
      ]);
      return { ...EMPTY_STATE, ...state.value, progress: progress.value };
    },

    registerJobs() {
      options.jobs?.register(RESUME_SYNC_JOB, async () => {
        await reconciler.requestSync({ trigger: "resume" });
      });
    },
  };
  return reconciler;
}

/** Counts a sweep that ran: its outcome and the leads it listed and stored. */
function countSweep(result: SyncResult): void {
  reconcileSweeps.inc({ outcome: result.error === undefined ? "ok" : "error" });
  reconcileScanned.inc(undefined, result.scanned);
  reconcileInserted.inc(undefined, result.inserted);
}

function resultOf(outcome: SweepOutcome): SyncResult {
  const result: SyncResult = {
    forms: outcome.forms,
    scanned: outcome.scanned,
    inserted: outcome.inserted,
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    skipped: false,
  };
  const problems = [
    ...outcome.errors,
    ...outcome.pageProblems.map((problem) =>
      `Page ${problem.pageId}: Meta refused the ${
        problem.kind === "token" ? "access token" : "permission"
      }: ${problem.message}`
    ),
  ];
  if (problems.length > 0) result.error = problems.join("; ");
  return result;
}

/**
 * The last sweep's result marked skipped (a zero result before the first sweep), with why and
 * when the next sweep may run: a caller must not take it for a look at Meta made just now.
 */
function skippedResult(
  state: ReconcileState,
  at: number,
  skip: { reason: NonNullable<SyncResult["skipReason"]>; nextAllowedAt: number | null },
): SyncResult {
  const iso = new Date(at).toISOString();
  const last = state.lastResult ??
    { forms: 0, scanned: 0, inserted: 0, startedAt: iso, finishedAt: iso, skipped: true };
  return {
    ...last,
    skipped: true,
    skipReason: skip.reason,
    lastFinishedAt: state.lastResult?.finishedAt ?? null,
    nextAllowedAt: skip.nextAllowedAt === null ? null : new Date(skip.nextAllowedAt).toISOString(),
    checkedAt: iso,
  };
}
