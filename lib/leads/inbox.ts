// The webhook inbox: a delivery acknowledged before its leads are stored is made durable as one
// claimed job in a commit shared with the deliveries arriving with it, and a processor in this
// process stores its leads right behind, giving way to the acknowledgements while they come fast.

import { ulid } from "../ids.ts";
import type { ClaimedJob, HeldClaim, JobQueue } from "../jobs/queue.ts";
import { commitAtomic } from "../kv_commit.ts";
import type { Logger } from "../log.ts";
import type { ExtraWrite } from "./store.ts";

/**
 * The job type of an inbox record; its key is the delivery's id. A process that dies with
 * deliveries in its inbox leaves their jobs claimed: the lease (renewed while this process holds
 * them) expires, and any process's sweep stores their leads then (or, on a local KV file, the
 * next server at its start, see `start`).
 */
export const WEBHOOK_INBOX = "webhook_inbox";

/**
 * What an inbox record holds (its job's payload): where the delivery's exact bytes are, and who
 * sent it when. Small, so that renewing its lease rewrites little.
 */
export interface InboxPayload {
  /** The kept delivery (lib/leads/deliveries.ts) that holds the bytes, written in the same commit. */
  deliveryId: string | null;
  /** The raw bytes, when no kept delivery holds them (deliveries not kept, benches only). */
  body?: Uint8Array;
  /** The webhook request that brought it, to find its log lines. */
  requestId: string | null;
  /** ISO 8601 arrival time. */
  receivedAt: string;
}

/** One delivery handed to the inbox. */
export interface InboxEntry<D> {
  /** The id of the delivery: the key of its inbox record. */
  id: string;
  payload: InboxPayload;
  /** Writes that make the bytes durable beside the record (the kept delivery), if any. */
  copy?: ExtraWrite;
  /** What its value and the copy take of a commit, in bytes (about). */
  bytes: number;
  /** What the processor stores, from memory: the parsed delivery. */
  delivery: D;
}

/** How a new delivery is taken, given how many wait (see `WebhookInbox.admit`). */
export type Admission =
  /** Few deliveries wait: store its leads now and answer once they are committed (no record). */
  | "direct"
  /** Many wait: answer once its inbox record is durable; the processor stores it soon after. */
  | "queue"
  /** The backlog is full: through the inbox, but answer only once its leads are committed. */
  | "queue_and_wait";

/** Options of the inbox; the defaults are what bench/ingest.ts measured best on two cores. */
export interface InboxOptions {
  /**
   * Deliveries waiting (in the inbox or being stored) below which a new one is stored directly
   * and answered once its leads are committed, as without an inbox (default 8). 0 sends every
   * delivery through the inbox; a large number none.
   */
  threshold?: number;
  /** Deliveries waiting at which a new one waits for its leads again, so memory stays bounded (default 2,000). */
  maxBacklog?: number;
  /**
   * Deliveries the processor hands to the lead store at once in a quiet moment (default 200):
   * the store shares its commits among them, so a backlog drains with the fewest commits.
   */
  batchSize?: number;
  /**
   * While deliveries keep coming, the longest the processor waits after a batch for a quiet
   * moment before it runs a small one anyway (default 50 ms): it always makes progress.
   */
  maxWaitMs?: number;
  /** Deliveries in a batch run while deliveries keep coming (default 4). */
  busyBatchSize?: number;
  /**
   * While deliveries keep coming, the longest one waits in the inbox before the processor stops
   * giving way and stores at full speed until none is that old (default 1,000 ms): a long stretch
   * of load delays leads by about this much, not by the whole backlog.
   */
  maxDelayMs?: number;
  /** A moment is quiet when no inbox commit waits or ran within this long (default 10 ms). */
  quietMs?: number;
  /**
   * How long a commit of inbox records waits for more deliveries to share it before it starts
   * (default 3 ms; 0 never waits), unless gatherCount of them are there already (default 32).
   */
  gatherMs?: number;
  gatherCount?: number;
  /** Clock in ms (default performance.now). */
  now?: () => number;
}

/** What the inbox needs. */
export interface InboxDeps<D, S> {
  kv: Deno.Kv;
  jobs: JobQueue;
  log: Logger;
  /**
   * Stores the leads of a delivery; `removal` (the inbox record's removal, which requires the
   * leads) goes in their commit. Resolves with what happened, and whether the removal went in.
   */
  store(delivery: D, removal: ExtraWrite | null): Promise<{ result: S; removed: boolean }>;
}

/** What `accept` gives back once the delivery is durable. */
export interface Accepted<S> {
  /** Settles once the processor stored the delivery's leads (never rejects unobserved). */
  stored: Promise<S>;
}

/** The webhook inbox of one process; see createWebhookInbox. */
export interface WebhookInbox<D, S> {
  /** Deliveries taken and not stored yet: being accepted, in the inbox, or stored directly. */
  backlog(): number;
  /** How a delivery arriving now is taken: see Admission. */
  admit(): Admission;
  /**
   * Makes `entry` durable as an inbox record, in a commit shared with the others that arrive
   * meanwhile, and queues it for the processor. Resolves once the commit went through; rejects
   * when it failed (nothing of the delivery is stored: answer 500 and Meta sends it again).
   */
  accept(entry: InboxEntry<D>): Promise<Accepted<S>>;
  /** Runs `store`, a delivery stored directly (no inbox record), counted in the backlog. */
  direct<T>(store: () => Promise<T>): Promise<T>;
  /**
   * Starts the processor. With `takeOver` (a process that knows it is the only one on this KV),
   * inbox records a crashed process left are stored at once instead of when their leases expire.
   */
  start(options?: { takeOver?: boolean }): void;
  /** Holds the processor back: deliveries are accepted and wait (tests, maintenance). */
  pause(): void;
  /** Lets a paused processor go on. */
  resume(): void;
  /** Stores what waits (at full speed, paused or not) and stops; later deliveries are stored directly. */
  stop(): Promise<void>;
}

/** One delivery durable in the inbox, waiting for the processor. */
interface Waiting<D, S> {
  entry: InboxEntry<D>;
  claim: HeldClaim;
  /** When its record was committed (the inbox's clock). */
  since: number;
  resolve(result: S): void;
  reject(error: unknown): void;
}

interface Accepting<D, S> {
  entry: InboxEntry<D>;
  resolve(accepted: Accepted<S>): void;
  reject(error: unknown): void;
}

/** A commit of inbox records stays well within KV's 800 KiB and 1,000 mutations. */
const COMMIT_BYTES_MAX = 600 * 1024;
const COMMIT_DELIVERIES_MAX = 200;
/** What an inbox record and its due entry take of a commit besides the delivery's bytes. */
const RECORD_BYTES = 512;

/**
 * Makes the inbox over `deps.kv` and `deps.jobs`. An inbox record is a job of type WEBHOOK_INBOX
 * created claimed by this process in the commit that makes the delivery durable (with the kept
 * copy of its bytes), so the queue's lease and heartbeat decide who may store it: while this
 * process holds it nobody else does, and once it dies the lease expires and any process's sweep
 * runs the job (the caller registers its handler, which stores the leads the same way). The
 * processor takes deliveries from memory (no read back) and hands them to `deps.store` in
 * batches, each record's removal in the commit of its leads: a delivery is always either in the
 * inbox or stored, never neither.
 */
export function createWebhookInbox<D, S>(
  deps: InboxDeps<D, S>,
  options: InboxOptions = {},
): WebhookInbox<D, S> {
  const threshold = Math.max(0, options.threshold ?? 8);
  const maxBacklog = Math.max(1, options.maxBacklog ?? 2_000);
  const batchSize = Math.max(1, options.batchSize ?? 200);
  const busyBatchSize = Math.max(1, options.busyBatchSize ?? 4);
  const maxWaitMs = Math.max(0, options.maxWaitMs ?? 50);
  const maxDelayMs = Math.max(0, options.maxDelayMs ?? 1_000);
  const quietMs = Math.max(0, options.quietMs ?? 10);
  const gatherMs = Math.max(0, options.gatherMs ?? 3);
  const gatherCount = Math.max(1, options.gatherCount ?? 32);
  const now = options.now ?? (() => performance.now());
  const { kv, jobs, log } = deps;

  const accepting: Accepting<D, S>[] = [];
  let committing = false;
  /** Ends the wait of a commit that gathers deliveries, once enough arrived. */
  let gathered: (() => void) | null = null;
  /** When the last inbox commit ended. */
  let lastCommitAt = -Infinity;
  const waiting: Waiting<D, S>[] = [];
  /** Deliveries handed to the store by the processor and not committed yet. */
  let processing = 0;
  /** Deliveries stored directly, not committed yet. */
  let directs = 0;
  let processorRunning = false;
  let processorDone: Promise<void> = Promise.resolve();
  let started = false;
  let paused = false;
  let stopping = false;
  let lastBatchAt = -Infinity;
  /** Wakes a processor that is paused or waits for a quiet moment (resume, stop). */
  let nudge: (() => void) | null = null;

  function backlog() {
    return accepting.length + waiting.length + processing + directs;
  }

  function admit(): Admission {
    if (stopping) return "direct";
    const count = backlog();
    if (count < threshold) return "direct";
    return count >= maxBacklog ? "queue_and_wait" : "queue";
  }

  function accept(entry: InboxEntry<D>): Promise<Accepted<S>> {
    return new Promise((resolve, reject) => {
      accepting.push({ entry, resolve, reject });
      if (accepting.length >= gatherCount) gathered?.();
      if (!committing) {
        committing = true;
        commitAccepted();
      }
    });
  }

  /**
   * The group commit of inbox records: whatever arrived while the last one ran goes together,
   * and a commit waits up to gatherMs for gatherCount deliveries before it starts.
   */
  async function commitAccepted() {
    // Deliveries parsed in the same tick join the first commit.
    await Promise.resolve();
    try {
      while (accepting.length > 0) {
        if (accepting.length < gatherCount && gatherMs > 0) {
          // A commit costs about as much as a dozen deliveries' records: under load the next
          // few deliveries are a moment away, and sharing it with them is what makes acks cheap.
          await wakeableWait(gatherMs, (wake) => gathered = wake);
        }
        let bytes = 0;
        let count = 0;
        while (
          count < accepting.length && count < COMMIT_DELIVERIES_MAX &&
          (count === 0 || bytes + accepting[count].entry.bytes + RECORD_BYTES <= COMMIT_BYTES_MAX)
        ) {
          bytes += accepting[count].entry.bytes + RECORD_BYTES;
          count++;
        }
        const group = accepting.splice(0, count);
        await commitGroup(group);
      }
    } finally {
      committing = false;
    }
  }

  async function commitGroup(group: Accepting<D, S>[]) {
    const claims: ClaimedJob[] = [];
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      const op = kv.atomic();
      for (const { entry } of group) {
        entry.copy?.write(op);
        // Keyed by a fresh id: no job with that key can exist, so the commit needs no check.
        claims.push(
          jobs.addClaimedJob(op, { type: WEBHOOK_INBOX, key: entry.id, payload: entry.payload }, {
            keyIsNew: true,
          }),
        );
      }
      res = await commitAtomic(op);
      if (!res.ok) throw new Error("Cannot accept webhook deliveries: KV refused the inbox commit");
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    } finally {
      lastCommitAt = now();
    }
    group.forEach(({ entry, resolve }, i) => {
      let settle!: { resolve(result: S): void; reject(error: unknown): void };
      const stored = new Promise<S>((resolve, reject) => settle = { resolve, reject });
      // Nobody may be listening: the processor logs a failure itself.
      stored.catch(() => {});
      waiting.push({
        entry,
        claim: jobs.holdClaimed(claims[i], res.versionstamp),
        since: lastCommitAt,
        ...settle,
      });
      resolve({ stored });
    });
    wake();
  }

  async function direct<T>(store: () => Promise<T>): Promise<T> {
    directs++;
    try {
      return await store();
    } finally {
      directs--;
    }
  }

  function wake() {
    if (processorRunning || !started || waiting.length === 0) return;
    processorRunning = true;
    processorDone = runProcessor().finally(() => processorRunning = false);
  }

  async function runProcessor() {
    while (waiting.length > 0) {
      if (!stopping && paused) {
        await new Promise<void>((resolve) => {
          nudge = () => {
            nudge = null;
            resolve();
          };
        });
        continue;
      }
      const quiet = stopping || await quietMoment();
      if (paused && !stopping) continue;
      const batch = waiting.splice(0, quiet ? batchSize : busyBatchSize);
      processing += batch.length;
      try {
        await storeBatch(batch);
      } finally {
        processing -= batch.length;
        lastBatchAt = now();
      }
    }
  }

  /**
   * Gives way to the acknowledgements: resolves with true once no inbox commit waits or ran
   * within quietMs (or at once when the backlog is full, its oldest delivery waited maxDelayMs,
   * a stop began or a pause), or with false maxWaitMs after the last batch while deliveries keep
   * coming.
   */
  async function quietMoment(): Promise<boolean> {
    while (!stopping && !paused && waiting.length < maxBacklog) {
      const at = now();
      if (waiting.length > 0 && at - waiting[0].since >= maxDelayMs) return true;
      const busy = committing || accepting.length > 0;
      if (!busy && at - lastCommitAt >= quietMs) return true;
      const deadline = lastBatchAt + maxWaitMs;
      if (at >= deadline) return false;
      await sleep(Math.max(1, Math.min(deadline - at, quietMs)));
    }
    return true;
  }

  /** Waits `ms`, or less when nudged (a stop, a resume). */
  function sleep(ms: number): Promise<void> {
    return wakeableWait(ms, (wake) => nudge = wake);
  }

  async function storeBatch(batch: Waiting<D, S>[]) {
    // No lease renewal may land between the removals' checks and their commit.
    await Promise.all(batch.map((item) => item.claim.settle()));
    await Promise.all(batch.map(async (item) => {
      const { claim } = item;
      const removal: ExtraWrite = { write: (op) => claim.complete(op), requiresLeads: true };
      try {
        const { result, removed } = await deps.store(item.entry.delivery, removal);
        if (!removed) {
          // Its leads are stored (or known); the record stays until its lease expires, and a
          // sweep then finds them all known and removes it.
          log.warn("webhook inbox record not removed with its leads; a sweep removes it", {
            deliveryId: item.entry.id,
            requestId: item.entry.payload.requestId,
          });
        }
        item.resolve(result);
      } catch (error) {
        // Left to its lease: once it expires, a sweep stores the delivery again, with retries.
        log.error("webhook delivery not stored from the inbox; it is retried from KV", {
          deliveryId: item.entry.id,
          requestId: item.entry.payload.requestId,
          error: (error as Error).message,
        });
        item.reject(error);
      } finally {
        claim.release();
      }
    }));
  }

  return {
    backlog,
    admit,
    accept,
    direct,
    start(startOptions = {}) {
      if (started) return;
      started = true;
      stopping = false;
      wake();
      if (startOptions.takeOver) {
        jobs.takeOver(WEBHOOK_INBOX).then((result) => {
          if (result.claimed > 0) {
            log.info("webhook inbox records taken over at start", { ...result });
          }
        }, (error) => {
          log.error("webhook inbox take-over at start failed; sweeps pick the records up", {
            error: (error as Error).message,
          });
        });
      }
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      nudge?.();
      wake();
    },
    async stop() {
      stopping = true;
      // Whatever is still being accepted joins the inbox first; then it all goes at full speed.
      while (committing) await new Promise((resolve) => setTimeout(resolve, 1));
      if (waiting.length > 0 && !processorRunning) {
        started = true;
        wake();
      }
      nudge?.();
      await processorDone;
      started = false;
    },
  };
}

/** A fresh id for a delivery whose bytes are not kept elsewhere (its inbox record's key). */
export function newInboxId(): string {
  return ulid();
}

/**
 * Waits `ms`, or less: `expose` gets a function that ends the wait early, and gets null once the
 * wait is over either way.
 */
function wakeableWait(ms: number, expose: (wake: (() => void) | null) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      expose(null);
      resolve();
    }
    expose(done);
  });
}
