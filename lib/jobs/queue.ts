// Durable background jobs as KV records keyed by due time, claimed with a versionstamp check and a lease.

import { commitAtomic, isKvLimitError } from "../kv_commit.ts";
import { jobRuns } from "../metrics/app_metrics.ts";
import { PermanentJobError, RetryableJobError } from "./errors.ts";
import {
  failedJobKey,
  jobByKeyKey,
  jobDueKey,
  jobIdFor,
  jobKey,
  JOBS_DUE_PREFIX,
  jobsDueEndKey,
} from "./keys.ts";

/** A job that waits or runs, as stored at `["jobs", id]`. */
export interface JobRecord {
  /** `type:key` (see jobIdFor); a ULID for jobs stored before that. */
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
  /**
   * Adds the job's removal to `op`, guarded by this run's claim: when `op` commits, the job is
   * done, in the same commit as the handler's result (no second commit). Call it from the commit
   * the handler makes last (it may run once per attempt of that commit), and resolve with
   * COMPLETED_IN_COMMIT once that commit went through. Throws LeaseLostError when another run
   * has taken the job over. (Optional so a handler can be called without a queue, e.g. in tests.)
   */
  complete?(op: Deno.AtomicOperation): void;
  /** Aborted when this run lost its claim (another process took the job over). */
  signal?: AbortSignal;
  /**
   * True on the first run of a job this process created claimed (addClaimedJob): no other run
   * can have started it, so a handler may skip checking whether its work is already done.
   */
  firstRun?: boolean;
}

/** What a handler resolves with when its own commit carried `ctx.complete(op)`. */
export const COMPLETED_IN_COMMIT = "completed-in-commit";

/**
 * Runs one job; throw RetryableJobError or PermanentJobError. Any other error is retryable, except
 * KV refusing a write over its limits (see isKvLimitError), which is permanent. Resolve with
 * COMPLETED_IN_COMMIT when the job's removal went into the handler's own commit.
 */
export type JobHandler = (
  payload: unknown,
  ctx: JobContext,
) => Promise<void | typeof COMPLETED_IN_COMMIT>;

/** `ctx.complete` was called by a run whose claim another run has taken over. */
export class LeaseLostError extends Error {
  /** Make the error for job `jobId`. */
  constructor(jobId: string) {
    super(`Cannot complete job ${jobId}: its lease expired and another run took it over`);
    this.name = "LeaseLostError";
  }
}

/** A job created already claimed by this process (see addClaimedJob), to hand to runClaimed. */
export interface ClaimedJob {
  id: string;
  record: JobRecord;
}

/**
 * A job from addClaimedJob that its creator works on itself, outside the queue's slots (e.g. a
 * webhook delivery stored in a batch with others): the queue renews its lease while it is held,
 * and the creator's own commit removes it (see holdClaimed).
 */
export interface HeldClaim {
  /** The job's id. */
  readonly id: string;
  /**
   * Stops renewing the lease and waits for a renewal in flight, so that `complete` checks the
   * claim as it stands: call it right before building the commit that carries `complete`.
   */
  settle(): Promise<void>;
  /**
   * Adds the job's removal to `op`, guarded by the claim (as JobContext.complete). Throws
   * LeaseLostError when another run has taken the job over.
   */
  complete(op: Deno.AtomicOperation): void;
  /**
   * Lets go of the job: once the commit that carried `complete` went through, or to leave the job
   * to its lease (it comes due when the lease expires and any process runs it then).
   */
  release(): void;
}

/** The few logger methods the queue uses (lib/log.ts's Logger fits). */
export interface JobLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Options of `createJobQueue`. */
export interface JobQueueOptions {
  /**
   * How long a claim holds before another process may take the job over (default 10 s). A run
   * renews it every third of that while the job waits for a slot or runs (heartbeat), so it can
   * be short: a crashed process's jobs are taken over within about this long.
   */
  leaseMs?: number;
  /** Attempts before a job fails for good (default 8). */
  maxAttempts?: number;
  /** Wait after failed attempt number `attempt` (1-based); default 1 s, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, ±20%. */
  backoff?(attempt: number): number;
  /** Clock in ms (default Date.now). */
  now?(): number;
  /** Jobs run at once per queue (default 32). */
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
  /**
   * As addJob, but the job is created claimed by this process (due only when its lease expires),
   * so it needs no claim commit: once `op` commits, hand the result to `runClaimed` with the
   * commit's versionstamp and it runs here at once. If this process dies first, the job comes due
   * when the lease expires and any process runs it. `dueAt` is ignored.
   */
  addClaimedJob(
    op: Deno.AtomicOperation,
    job: NewJob,
    options?: { keyIsNew?: boolean },
  ): ClaimedJob;
  /**
   * Runs a job from addClaimedJob whose commit went through with `versionstamp` (as soon as a
   * slot is free; its lease is renewed meanwhile). Does not wait for it.
   */
  runClaimed(job: ClaimedJob, versionstamp: string): void;
  /**
   * Holds a job from addClaimedJob whose commit went through with `versionstamp` without running
   * it: its lease is renewed (heartbeat) until the caller completes it in a commit of its own or
   * lets it go. This process's own sweeps leave it alone meanwhile.
   */
  holdClaimed(job: ClaimedJob, versionstamp: string): HeldClaim;
  /**
   * Claims and runs every job of `type` now, its lease expired or not (a crashed run's jobs need
   * not wait for their leases). Only for a process that knows no other process runs jobs on this
   * KV, such as the one server of a local KV file at start; jobs this process holds are skipped.
   */
  takeOver(type: string): Promise<RunDueResult>;
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
/** Jobs whose leases one heartbeat commit renews (each takes one check and three mutations). */
const RENEW_PER_COMMIT = 50;
/** A run that holds a job longer than this stops renewing its lease, so another may take over. */
const MAX_HOLD_MS = 10 * 60 * 1000;
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

/** A job this process holds a claim on: waiting for a slot or running. */
interface HeldJob {
  /** The record as claimed (attempts counted, leaseUntil set). */
  job: JobRecord;
  /** Versionstamp of `["jobs", id]` as this run last wrote it (claim or renewal). */
  versionstamp: string;
  /** Where its due entry sits: the lease's expiry. */
  leaseUntil: number;
  /** When this process took it (ms). */
  heldSince: number;
  /** Set when a renewal found the claim taken over. */
  lost: boolean;
  abort: AbortController;
  /** True once the handler started. */
  started: boolean;
  /** Set once it was held past MAX_HOLD_MS and its lease is left to expire. */
  overdue: boolean;
  /** Set once its handler returned: its finish is being written, no renewal may start. */
  finishing: boolean;
  /** Created claimed by this process and not run before. */
  firstRun: boolean;
}

/**
 * Make a job queue over `kv`. Jobs are KV records, not `kv.enqueue` messages (Deno Deploy has no
 * KV queues). A run lists `["jobs_due", dueAt ≤ now]`, claims each job with a versionstamp check
 * that moves its due entry to the lease expiry (so a crashed run's job comes due again by itself),
 * runs the handler, and then deletes, reschedules or fails the job with a check of the claim's
 * versionstamp (a run that lost its lease changes nothing). A job can also be created claimed
 * (addClaimedJob) and run at once by the process that created it, with no claim commit; and a
 * handler can put the job's removal into its own last commit (ctx.complete), with no finishing
 * commit. While this process holds a job, one heartbeat commit every third of the lease renews
 * the leases of all of them, so the lease can be short. Delivery is at least once: handlers must
 * be idempotent.
 */
export function createJobQueue(kv: Deno.Kv, options: JobQueueOptions = {}): JobQueue {
  const leaseMs = options.leaseMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = options.backoff ?? defaultJobBackoff;
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const intervalMs = options.intervalMs ?? 1_000;
  const log = options.log ?? consoleLog;
  const handlers = new Map<string, JobHandler>();
  /** Ids listed by a run in this process and not finished yet; other runs skip them. */
  const inFlight = new Set<string>();
  /** Jobs this process holds a claim on, by id; their leases are renewed while here. */
  const held = new Map<string, HeldJob>();
  const runs = new Set<Promise<unknown>>();
  let slotsFree = concurrency;
  const slotWaiters: (() => void)[] = [];
  let pendingKick: Promise<void> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let renewing: Promise<void> | null = null;
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

  function hold(job: JobRecord, versionstamp: string, firstRun = false): HeldJob {
    const entry: HeldJob = {
      firstRun,
      job,
      versionstamp,
      leaseUntil: job.leaseUntil!,
      heldSince: now(),
      lost: false,
      abort: new AbortController(),
      started: false,
      overdue: false,
      finishing: false,
    };
    held.set(job.id, entry);
    if (heartbeat === undefined) {
      heartbeat = setInterval(() => {
        renewing ??= renewLeases().finally(() => renewing = null);
      }, Math.max(50, Math.floor(leaseMs / 3)));
      // The heartbeat never keeps a process alive by itself.
      Deno.unrefTimer(heartbeat as unknown as number);
    }
    return entry;
  }

  function unhold(id: string) {
    held.delete(id);
    if (held.size === 0 && heartbeat !== undefined) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  /**
   * The heartbeat: moves the lease of every held job whose lease is a heartbeat old a full lease
   * ahead, in few commits.
   */
  async function renewLeases() {
    const at = now();
    const due = [...held.values()].filter((entry) => {
      if (entry.lost || entry.overdue || entry.finishing) return false;
      // Claimed or renewed within the last heartbeat: at least two thirds of its lease are left,
      // and the next heartbeat comes while a third still is. Jobs held a moment (most of them,
      // and a burst of webhook inbox records) are never rewritten.
      if (entry.leaseUntil - at > leaseMs * 2 / 3) return false;
      if (now() - entry.heldSince > MAX_HOLD_MS) {
        entry.overdue = true;
        log.warn("Job held too long: its lease is no longer renewed, so another run may take it", {
          jobId: entry.job.id,
          type: entry.job.type,
        });
        return false;
      }
      return true;
    });
    for (let i = 0; i < due.length; i += RENEW_PER_COMMIT) {
      const chunk = due.slice(i, i + RENEW_PER_COMMIT);
      try {
        if (!(await renew(chunk)) && chunk.length > 1) {
          // One of them was taken over (or finished meanwhile): find which, one by one.
          for (const entry of chunk) await renew([entry]);
        }
      } catch (error) {
        log.error("Job lease renewal failed; it is tried again at the next heartbeat", {
          error: errorMessage(error),
        });
      }
    }
  }

  async function renew(entries: HeldJob[]): Promise<boolean> {
    const live = entries.filter((entry) =>
      held.get(entry.job.id) === entry && !entry.lost && !entry.finishing
    );
    if (live.length === 0) return true;
    const leaseUntil = Math.floor(now() + leaseMs);
    const op = kv.atomic();
    for (const entry of live) {
      const id = entry.job.id;
      op.check({ key: jobKey(id), versionstamp: entry.versionstamp })
        .delete(jobDueKey(entry.leaseUntil, id))
        .set(jobKey(id), { ...entry.job, leaseUntil, dueAt: leaseUntil })
        .set(jobDueKey(leaseUntil, id), id);
    }
    const res = await commitAtomic(op);
    if (res.ok) {
      for (const entry of live) {
        entry.versionstamp = res.versionstamp;
        entry.leaseUntil = leaseUntil;
        entry.job = { ...entry.job, leaseUntil, dueAt: leaseUntil };
      }
      return true;
    }
    if (live.length === 1) {
      const entry = live[0];
      // Finished by its own commit meanwhile, or taken over: either way it is not ours to renew.
      if (held.get(entry.job.id) === entry) {
        entry.lost = true;
        entry.abort.abort(new LeaseLostError(entry.job.id));
      }
    }
    return false;
  }

  async function runDue(runOptions: { limit?: number } = {}): Promise<RunDueResult> {
    const limit = Math.max(1, runOptions.limit ?? RUN_LIMIT);
    const entries: Deno.KvEntry<string>[] = [];
    const selector = { prefix: JOBS_DUE_PREFIX, end: jobsDueEndKey(Math.floor(now())) };
    for await (const entry of kv.list<string>(selector, { limit })) entries.push(entry);
    return await runEach(entries, (entry) => entry.value, claimAndRun);
  }

  /**
   * Runs `claim` for each entry whose job (`idOf`) is not in flight here, at most `concurrency`
   * at once; a failure of the queue itself is logged and leaves the job to its lease.
   */
  async function runEach<E>(
    entries: E[],
    idOf: (entry: E) => string | null,
    claim: (entry: E) => Promise<"succeeded" | "retried" | "failed" | "skipped">,
  ): Promise<RunDueResult> {
    const result: RunDueResult = {
      listed: entries.length,
      claimed: 0,
      succeeded: 0,
      retried: 0,
      failed: 0,
      skipped: 0,
    };
    await Promise.all(entries.map(async (entry) => {
      const id = idOf(entry);
      if (id === null || inFlight.has(id)) {
        result.skipped++;
        return;
      }
      inFlight.add(id);
      await acquireSlot();
      try {
        const outcome = await claim(entry);
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
    if (job.dueAt > now()) return "skipped";
    return await claimRecord(current as Deno.KvEntry<JobRecord>);
  }

  /** Claims the job as read in `current` (a versionstamp check) and runs it here. */
  async function claimRecord(
    current: Deno.KvEntry<JobRecord>,
  ): Promise<"succeeded" | "retried" | "failed" | "skipped"> {
    const job = current.value;
    const id = job.id;
    const startedAt = now();
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
    const entryHeld = hold(claimed, claim.versionstamp);
    try {
      return await execute(entryHeld);
    } finally {
      unhold(id);
    }
  }

  /** Runs a held job's handler and records how it went (unless the handler's commit did). */
  async function execute(
    entry: HeldJob,
  ): Promise<"succeeded" | "retried" | "failed" | "skipped"> {
    entry.started = true;
    const claimed = entry.job;
    const id = claimed.id;
    let failure: unknown = null;
    let completed = false;
    const handler = handlers.get(claimed.type);
    const ctx: JobContext = {
      attempt: claimed.attempts,
      jobId: id,
      signal: entry.abort.signal,
      firstRun: entry.firstRun,
      complete(op) {
        if (entry.lost) throw new LeaseLostError(id);
        op.check({ key: jobKey(id), versionstamp: entry.versionstamp })
          .delete(jobDueKey(entry.leaseUntil, id))
          .delete(jobKey(id));
        deleteOldIndex(op, claimed);
      },
    };
    try {
      if (!handler) {
        throw new Error(`No handler is registered for job type "${claimed.type}" in this process`);
      }
      completed = (await handler(claimed.payload, ctx)) === COMPLETED_IN_COMMIT;
    } catch (error) {
      failure = error;
    }
    if (completed) {
      // Its removal went through in the handler's own commit.
      jobRuns.inc({ type: claimed.type, outcome: "success" });
      return "succeeded";
    }

    // The finish checks the claim's versionstamp: a renewal in flight would change it (and its
    // due key) after the finish was built, so the finish would be refused and the job, done,
    // would come due again. No renewal starts from here on; one already in flight lands first.
    entry.finishing = true;
    if (renewing) await renewing;
    const claimCheck = { key: jobKey(id), versionstamp: entry.versionstamp };
    const op = kv.atomic().check(claimCheck).delete(jobDueKey(entry.leaseUntil, id));
    if (failure === null) {
      op.delete(jobKey(id));
      deleteOldIndex(op, claimed);
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
          claimed.type,
          claimed.payload,
          failure instanceof Error ? failure : new Error(message),
          failed,
        );
      } catch (error) {
        log.error("Job onFailed hook threw", {
          jobId: id,
          type: claimed.type,
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

  /** Gives back the claims of held jobs that never started (stop): they are due at once. */
  async function release(entries: HeldJob[]) {
    for (const entry of entries) {
      const id = entry.job.id;
      const dueAt = Math.floor(now());
      const op = kv.atomic()
        .check({ key: jobKey(id), versionstamp: entry.versionstamp })
        .delete(jobDueKey(entry.leaseUntil, id))
        .set(jobKey(id), {
          ...entry.job,
          attempts: Math.max(0, entry.job.attempts - 1),
          leaseUntil: null,
          dueAt,
        })
        .set(jobDueKey(dueAt, id), id);
      try {
        await commitAtomic(op);
      } catch (error) {
        // Its lease expires on its own and any run takes it then.
        log.warn("Job claim not given back at stop", { jobId: id, error: errorMessage(error) });
      }
    }
  }

  function runClaimed(claimed: ClaimedJob, versionstamp: string) {
    const id = claimed.id;
    if (inFlight.has(id)) return;
    inFlight.add(id);
    const entry = hold(claimed.record, versionstamp, true);
    track((async () => {
      await acquireSlot();
      try {
        if (stopped) {
          await release([entry]);
          return;
        }
        await execute(entry);
      } catch (error) {
        log.error("Job run failed in the queue itself; its lease will expire and it runs again", {
          jobId: id,
          error: errorMessage(error),
        });
      } finally {
        releaseSlot();
        unhold(id);
        inFlight.delete(id);
      }
    })());
  }

  function holdClaimed(claimed: ClaimedJob, versionstamp: string): HeldClaim {
    const id = claimed.id;
    // This process's sweeps skip it, even once its lease has expired.
    inFlight.add(id);
    const entry = hold(claimed.record, versionstamp, true);
    let released = false;
    return {
      id,
      async settle() {
        entry.finishing = true;
        if (renewing) await renewing;
      },
      complete(op) {
        if (entry.lost) throw new LeaseLostError(id);
        op.check({ key: jobKey(id), versionstamp: entry.versionstamp })
          .delete(jobDueKey(entry.leaseUntil, id))
          .delete(jobKey(id));
      },
      release() {
        if (released) return;
        released = true;
        if (held.get(id) === entry) unhold(id);
        inFlight.delete(id);
      },
    };
  }

  async function takeOver(type: string): Promise<RunDueResult> {
    // Ids are `type:key`, so a type's jobs sit together between `type:` and `type;`.
    const selector = { start: jobKey(jobIdFor(type, "")), end: jobKey(`${type};`) };
    const entries: Deno.KvEntry<JobRecord>[] = [];
    for await (const entry of kv.list<JobRecord>(selector)) entries.push(entry);
    return await runEach(
      entries,
      (entry) => entry.value.type === type ? entry.value.id : null,
      claimRecord,
    );
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

  /** Where the job of `type` and `key` is: its id, and the entries read to find it. */
  async function findJob(type: string, key: string) {
    const id = jobIdFor(type, key);
    const [live, failed, byKey] = await kv.getMany<[JobRecord, FailedJobRecord, string]>([
      jobKey(id),
      failedJobKey(id),
      jobByKeyKey(type, key),
    ]);
    if (live.value || failed.value || byKey.value === null) return { id, live, failed, byKey };
    // A job stored before ids came from the type and key: its index gives its ULID.
    const [oldLive, oldFailed] = await kv.getMany<[JobRecord, FailedJobRecord]>([
      jobKey(byKey.value),
      failedJobKey(byKey.value),
    ]);
    return { id: byKey.value, live: oldLive, failed: oldFailed, byKey };
  }

  async function retryJob(
    type: string,
    key: string,
    retryOptions: { dueAt?: number } = {},
  ): Promise<"requeued" | "rescheduled" | "running" | "missing"> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const { id, live, failed, byKey } = await findJob(type, key);
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

  function newRecord(job: NewJob, claim: boolean): JobRecord {
    const createdAt = Math.floor(now());
    const leaseUntil = claim ? createdAt + leaseMs : null;
    return {
      id: jobIdFor(job.type, job.key),
      type: job.type,
      key: job.key,
      payload: job.payload,
      dueAt: leaseUntil ?? Math.floor(job.dueAt ?? createdAt),
      attempts: claim ? 1 : 0,
      leaseUntil,
      createdAt,
      lastError: null,
    };
  }

  /**
   * Two writes per job: the record under its id (which, made from the type and key, is its
   * idempotency key) and its due entry. The commit fails when a job of that type and key waits,
   * runs or sits failed, in this layout or the one before.
   */
  function addRecord(op: Deno.AtomicOperation, record: JobRecord, checked = true) {
    if (checked) {
      op.check({ key: jobKey(record.id), versionstamp: null })
        .check({ key: failedJobKey(record.id), versionstamp: null })
        .check({ key: jobByKeyKey(record.type, record.key), versionstamp: null });
    }
    op.set(jobKey(record.id), record)
      .set(jobDueKey(record.dueAt, record.id), record.id);
  }

  return {
    addJob(op, job) {
      const record = newRecord(job, false);
      addRecord(op, record);
      return record.id;
    },

    addClaimedJob(op, job, claimOptions = {}) {
      const record = newRecord(job, true);
      addRecord(op, record, claimOptions.keyIsNew !== true);
      return { id: record.id, record };
    },

    runClaimed,

    holdClaimed,

    takeOver(type) {
      return track(takeOver(type));
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
      const { live, failed } = await findJob(type, key);
      if (failed.value) return { state: "failed", job: failed.value };
      if (!live.value) return null;
      const running = live.value.leaseUntil !== null && live.value.leaseUntil > now();
      return { state: running ? "running" : "waiting", job: live.value };
    },
  };
}

/** Removes the index entry of a job stored before ids came from the type and key. */
function deleteOldIndex(op: Deno.AtomicOperation, job: JobRecord) {
  if (job.id !== jobIdFor(job.type, job.key)) op.delete(jobByKeyKey(job.type, job.key));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
