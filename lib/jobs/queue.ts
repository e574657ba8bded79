// Durable background jobs as KV records keyed by due time, claimed with a versionstamp check and a lease.

import { ulid } from "../ids.ts";
import { commitAtomic, isKvLimitError } from "../kv_commit.ts";
import { jobRuns } from "../metrics/app_metrics.ts";
import { PermanentJobError, RetryableJobError } from "./errors.ts";
import {
  failedJobKey,
  jobByKeyKey,
  jobDueKey,
  jobKey,
  JOBS_DUE_PREFIX,
  jobsDueEndKey,
} from "./keys.ts";

/** A job that waits or runs, as stored at `["jobs", id]`. */
export interface JobRecord {
  id: string;
  type: string;
  /** Idempotency key: at most one job per type and key waits, runs or sits failed. */
  key: string;
  payload: unknown;
  /** When it is due (ms); while it runs, when its lease expires. */
  dueAt: number;
  /** Attempts started so far. */
  attempts: number;
  /** While running: when another process may take it over (ms); else null. */
  leaseUntil: number | null;
  createdAt: number;
  lastError: string | null;
}

/** A job that gave up, as stored at `["jobs_failed", id]`. */
export interface FailedJobRecord extends JobRecord {
  failedAt: number;
}

/** What `addJob` needs. */
export interface NewJob {
  type: string;
  /** Idempotency key, e.g. the leadgenId. */
  key: string;
  payload: unknown;
  /** When to run it (ms since the epoch); default now. */
  dueAt?: number;
}

/** What a handler learns about the run. */
export interface JobContext {
  /** 1 on the first try. */
  attempt: number;
  jobId: string;
}

/**
 * Runs one job; throw RetryableJobError or PermanentJobError. Any other error is retryable, except
 * KV refusing a write over its limits (see isKvLimitError), which is permanent.
 */
export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<void>;

/** The few logger methods the queue uses (lib/log.ts's Logger fits). */
export interface JobLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `createJobQueue`. */
export interface JobQueueOptions {
  /** How long a claim holds before another process may take the job over (default 60 s). */
  leaseMs?: number;
  /** Attempts before a job fails for good (default 8). */
  maxAttempts?: number;
  /** Wait after failed attempt number `attempt` (1-based); default 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, ±20%. */
  backoff?(attempt: number): number;
  /** Clock in ms (default Date.now). */
  now?(): number;
  /** Jobs run at once per queue (default 8). */
  concurrency?: number;
  /** Sweep period of `start()` (default 1,000 ms). */
  intervalMs?: number;
  /** Called after a job failed for good (moved to `jobs_failed`), so the caller can mark its subject. */
  onFailed?(
    type: string,
    payload: unknown,
    error: Error,
    job: FailedJobRecord,
  ): void | Promise<void>;
  log?: JobLog;
}

/** What one `runDue` did. */
export interface RunDueResult {
  /** Due entries listed. */
  listed: number;
  /** Jobs this call claimed and ran. */
  claimed: number;
  succeeded: number;
  retried: number;
  failed: number;
  /** Listed but not run: running here already, claimed elsewhere, or a stale entry. */
  skipped: number;
}

/** Where a job stands. */
export type JobState = "waiting" | "running" | "failed";

/** The job queue over one KV; see createJobQueue. */
export interface JobQueue {
  /** Add a job's records to `op` (someone else commits it); the commit fails if a job with the same type and key exists. Returns the job id. */
  addJob(op: Deno.AtomicOperation, job: NewJob): string;
  /** Handle jobs of `type` in this process. */
  register(type: string, handler: JobHandler): void;
  /** Claim and run the jobs due now (and those whose lease expired), at most `limit` (default 100). */
  runDue(options?: { limit?: number }): Promise<RunDueResult>;
  /** Run due jobs right now, in-process; kicks in the same tick share one run. Resolves when its jobs finished. */
  kick(): Promise<void>;
  /** Sweep at once and then every `intervalMs`. */
  start(): void;
  /** Stop sweeping and wait for running jobs. */
  stop(): Promise<void>;
  /** Run a failed or waiting job again (at `dueAt`, default now); a running job is left alone. */
  retryJob(
    type: string,
    key: string,
    options?: { dueAt?: number },
  ): Promise<"requeued" | "rescheduled" | "running" | "missing">;
  /** The job of `type` and `key` and where it stands, or null. */
  getJob(type: string, key: string): Promise<{ state: JobState; job: JobRecord } | null>;
}

/** Due entries one run lists by default. */
const RUN_LIMIT = 100;
const DEFAULT_BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];

/** The default backoff: the table above for attempt 1, 2, ..., the last entry after that, ±20% jitter. */
export function defaultJobBackoff(attempt: number): number {
  const base = DEFAULT_BACKOFF_MS[Math.min(Math.max(attempt, 1), DEFAULT_BACKOFF_MS.length) - 1];
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const consoleLog: JobLog = {
  warn: (message, fields) => console.warn(message, fields ?? ""),
  error: (message, fields) => console.error(message, fields ?? ""),
};

/**
 * Make a job queue over `kv`. Jobs are KV records, not `kv.enqueue` messages (Deno Deploy has no
 * KV queues). A run lists `["jobs_due", dueAt ≤ now]`, claims each job with a versionstamp check
 * that moves its due entry to the lease expiry (so a crashed run's job comes due again by itself),
 * runs the handler, and then deletes, reschedules or fails the job with a check of the claim's
 * versionstamp (a run that lost its lease changes nothing). Delivery is at least once: handlers
 * must be idempotent.
 */
export function createJobQueue(kv: Deno.Kv, options: JobQueueOptions = {}): JobQueue {
  const leaseMs = options.leaseMs ?? 60_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? defaultJobBackoff;
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const intervalMs = options.intervalMs ?? 1_000;
  const log = options.log ?? consoleLog;
  const handlers = new Map<string, JobHandler>();
  /** Ids listed by a run in this process and not finished yet; other runs skip them. */
  const inFlight = new Set<string>();
  const runs = new Set<Promise<unknown>>();
  let slotsFree = concurrency;
  const slotWaiters: (() => void)[] = [];
  let pendingKick: Promise<void> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  async function acquireSlot() {
    if (slotsFree > 0) {
      slotsFree--;
      return;
    }
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
  }

  function releaseSlot() {
    const next = slotWaiters.shift();
    if (next) next();
    else slotsFree++;
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    runs.add(promise);
    promise.finally(() => runs.delete(promise)).catch(() => {});
    return promise;
  }

  async function runDue(runOptions: { limit?: number } = {}): Promise<RunDueResult> {
    const limit = Math.max(1, runOptions.limit ?? RUN_LIMIT);
    const result: RunDueResult = {
      listed: 0,
      claimed: 0,
      succeeded: 0,
      retried: 0,
      failed: 0,
      skipped: 0,
    };
    const entries: Deno.KvEntry<string>[] = [];
    const selector = { prefix: JOBS_DUE_PREFIX, end: jobsDueEndKey(Math.floor(now())) };
    for await (const entry of kv.list<string>(selector, { limit })) entries.push(entry);
    result.listed = entries.length;
    await Promise.all(entries.map(async (entry) => {
      const id = entry.value;
      if (inFlight.has(id)) {
        result.skipped++;
        return;
      }
      inFlight.add(id);
      await acquireSlot();
      try {
        const outcome = await claimAndRun(entry);
        if (outcome !== "skipped") result.claimed++;
        result[outcome]++;
      } catch (error) {
        log.error("Job run failed in the queue itself; its lease will expire and it runs again", {
          jobId: id,
          error: errorMessage(error),
        });
        result.skipped++;
      } finally {
        releaseSlot();
        inFlight.delete(id);
      }
    }));
    return result;
  }

  async function claimAndRun(
    entry: Deno.KvEntry<string>,
  ): Promise<"succeeded" | "retried" | "failed" | "skipped"> {
    const id = entry.value;
    const current = await kv.get<JobRecord>(jobKey(id));
    const job = current.value;
    if (job === null || job.dueAt !== entry.key[1]) {
      // A due entry left behind: remove it unless it was rewritten meanwhile.
      await commitAtomic(kv.atomic().check(entry).delete(entry.key));
      return "skipped";
    }
    const startedAt = now();
    if (job.dueAt > startedAt) return "skipped";
    const leaseUntil = Math.floor(startedAt + leaseMs);
    const claimed: JobRecord = {
      ...job,
      attempts: job.attempts + 1,
      leaseUntil,
      dueAt: leaseUntil,
    };
    const claim = await commitAtomic(
      kv.atomic()
        .check(current)
        .delete(jobDueKey(job.dueAt, id))
        .set(jobKey(id), claimed)
        .set(jobDueKey(leaseUntil, id), id),
    );
    if (!claim.ok) return "skipped";
    const claimCheck = { key: jobKey(id), versionstamp: claim.versionstamp };

    let failure: unknown = null;
    const handler = handlers.get(job.type);
    try {
      if (!handler) {
        throw new Error(`No handler is registered for job type "${job.type}" in this process`);
      }
      await handler(job.payload, { attempt: claimed.attempts, jobId: id });
    } catch (error) {
      failure = error;
    }

    const op = kv.atomic().check(claimCheck).delete(jobDueKey(leaseUntil, id));
    if (failure === null) {
      op.delete(jobKey(id)).delete(jobByKeyKey(job.type, job.key));
      await commitFinish(op, claimed, "success");
      return "succeeded";
    }

    const message = errorMessage(failure);
    // A write KV refuses over its limits fails the same way every time: no point retrying it.
    const permanent = failure instanceof PermanentJobError || isKvLimitError(failure);
    if (!permanent && claimed.attempts < maxAttempts) {
      const retryAfter = failure instanceof RetryableJobError ? failure.retryAfterMs ?? 0 : 0;
      const dueAt = Math.floor(now() + Math.max(backoff(claimed.attempts), retryAfter));
      op.set(jobKey(id), { ...claimed, dueAt, leaseUntil: null, lastError: message })
        .set(jobDueKey(dueAt, id), id);
      await commitFinish(op, claimed, "retry");
      return "retried";
    }

    const failed: FailedJobRecord = {
      ...claimed,
      leaseUntil: null,
      lastError: message,
      failedAt: now(),
    };
    op.delete(jobKey(id)).set(failedJobKey(id), failed);
    if (await commitFinish(op, claimed, "failure")) {
      try {
        await options.onFailed?.(
          job.type,
          job.payload,
          failure instanceof Error ? failure : new Error(message),
          failed,
        );
      } catch (error) {
        log.error("Job onFailed hook threw", {
          jobId: id,
          type: job.type,
          error: errorMessage(error),
        });
      }
    }
    return "failed";
  }

  async function commitFinish(op: Deno.AtomicOperation, job: JobRecord, what: string) {
    const done = await commitAtomic(op);
    if (done.ok) jobRuns.inc({ type: job.type, outcome: what });
    if (!done.ok) {
      log.warn(`Job ${what} not recorded: its lease expired and another run took it over`, {
        jobId: job.id,
        type: job.type,
      });
    }
    return done.ok;
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (pendingKick) return pendingKick;
    pendingKick = track((async () => {
      // Kicks of the same tick (e.g. after one group commit) share this run.
      await Promise.resolve();
      pendingKick = null;
      let result: RunDueResult;
      try {
        result = await runDue();
      } catch (error) {
        log.error("Job sweep failed", { error: errorMessage(error) });
        return;
      }
      // A full page means more may be due: keep going in the background.
      if (result.listed >= RUN_LIMIT && result.claimed > 0) kick();
    })());
    return pendingKick;
  }

  async function retryJob(
    type: string,
    key: string,
    retryOptions: { dueAt?: number } = {},
  ): Promise<"requeued" | "rescheduled" | "running" | "missing"> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const byKey = await kv.get<string>(jobByKeyKey(type, key));
      if (byKey.value === null) return "missing";
      const id = byKey.value;
      const [live, failed] = await kv.getMany<[JobRecord, FailedJobRecord]>([
        jobKey(id),
        failedJobKey(id),
      ]);
      const dueAt = Math.floor(retryOptions.dueAt ?? now());
      const op = kv.atomic().check(byKey).check(live).check(failed);
      let outcome: "requeued" | "rescheduled";
      if (failed.value) {
        const { failedAt: _failedAt, ...job } = failed.value;
        op.delete(failedJobKey(id))
          .set(jobKey(id), { ...job, attempts: 0, dueAt, leaseUntil: null })
          .set(jobDueKey(dueAt, id), id);
        outcome = "requeued";
      } else if (live.value) {
        if (live.value.leaseUntil !== null && live.value.leaseUntil > now()) return "running";
        op.delete(jobDueKey(live.value.dueAt, id))
          .set(jobKey(id), { ...live.value, dueAt, leaseUntil: null })
          .set(jobDueKey(dueAt, id), id);
        outcome = "rescheduled";
      } else {
        return "missing";
      }
      if ((await commitAtomic(op)).ok) return outcome;
    }
    throw new Error(`Cannot retry job ${type}/${key}: it kept changing for 10 attempts`);
  }

  return {
    addJob(op, job) {
      const createdAt = Math.floor(now());
      const dueAt = Math.floor(job.dueAt ?? createdAt);
      const id = ulid(createdAt);
      const record: JobRecord = {
        id,
        type: job.type,
        key: job.key,
        payload: job.payload,
        dueAt,
        attempts: 0,
        leaseUntil: null,
        createdAt,
        lastError: null,
      };
      op.check({ key: jobByKeyKey(job.type, job.key), versionstamp: null })
        .set(jobByKeyKey(job.type, job.key), id)
        .set(jobKey(id), record)
        .set(jobDueKey(dueAt, id), id);
      return id;
    },

    register(type, handler) {
      if (handlers.has(type)) {
        throw new Error(`Cannot register job type "${type}": it already has a handler`);
      }
      handlers.set(type, handler);
    },

    runDue(runOptions) {
      return track(runDue(runOptions));
    },

    kick,

    start() {
      if (timer !== undefined) return;
      stopped = false;
      kick();
      timer = setInterval(kick, intervalMs);
    },

    async stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
      while (runs.size > 0) await Promise.allSettled([...runs]);
    },

    retryJob,

    async getJob(type, key) {
      const id = (await kv.get<string>(jobByKeyKey(type, key))).value;
      if (id === null) return null;
      const [live, failed] = await kv.getMany<[JobRecord, FailedJobRecord]>([
        jobKey(id),
        failedJobKey(id),
      ]);
      if (failed.value) return { state: "failed", job: failed.value };
      if (!live.value) return null;
      const running = live.value.leaseUntil !== null && live.value.leaseUntil > now();
      return { state: running ? "running" : "waiting", job: live.value };
    },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
