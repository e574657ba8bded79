import assert from "node:assert/strict";
import { PermanentJobError, RetryableJobError } from "../../lib/jobs/errors.ts";
import {
  COMPLETED_IN_COMMIT,
  createJobQueue,
  type JobLog,
  type JobQueue,
  type JobQueueOptions,
} from "../../lib/jobs/queue.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { newMetaLead } from "../../lib/leads/model.ts";
import { commitAtomic } from "../../lib/kv_commit.ts";
import { settles, waitFor } from "../_helpers/wait.ts";

function quietLog(): JobLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (message, fields) => lines.push(`warn ${message} ${JSON.stringify(fields)}`),
    error: (message, fields) => lines.push(`error ${message} ${JSON.stringify(fields)}`),
  };
}

/** A queue with a clock the test moves by hand. */
function queueWithClock(kv: Deno.Kv, options: JobQueueOptions = {}) {
  const clock = { t: 1_000_000 };
  const queue = createJobQueue(kv, { now: () => clock.t, log: quietLog(), ...options });
  return { queue, clock };
}

async function addJob(
  kv: Deno.Kv,
  queue: ReturnType<typeof createJobQueue>,
  key: string,
  payload: unknown = { key },
) {
  const op = kv.atomic();
  queue.addJob(op, { type: "fetch", key, payload });
  // Two connections to one SQLite file: ride out its busy lock as the app's own commits do.
  return (await commitAtomic(op)).ok;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("[jobs] a job born in the lead's commit runs after kick", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { log: quietLog() });
  const store = createLeadStore(kv);
  const ran: unknown[] = [];
  queue.register("fetch", (payload) => {
    ran.push(payload);
    return Promise.resolve();
  });
  const lead = newMetaLead({
    leadgenId: "123456789012345678",
    pageId: "1",
    formId: "2",
    adId: null,
    adgroupId: null,
    createdTime: null,
  }, new Date());
  await store.insertLeads([lead], {
    onCommit(op, l) {
      queue.addJob(op, { type: "fetch", key: l.leadgenId!, payload: { leadId: l.id } });
    },
  });
  assert.equal((await queue.getJob("fetch", "123456789012345678"))?.state, "waiting");
  await queue.kick();
  assert.deepEqual(ran, [{ leadId: lead.id }]);
  assert.equal(await queue.getJob("fetch", "123456789012345678"), null, "done jobs are deleted");
  await queue.stop();
  kv.close();
});

Deno.test("[jobs] retry with backoff, then success", async () => {
  const kv = await Deno.openKv(":memory:");
  const { queue, clock } = queueWithClock(kv, { backoff: (attempt) => attempt * 1000 });
  const attempts: number[] = [];
  queue.register("fetch", (_payload, ctx) => {
    attempts.push(ctx.attempt);
    if (ctx.attempt === 1) throw new Error("socket hang up");
    if (ctx.attempt === 2) throw new RetryableJobError("rate limited", { retryAfterMs: 10_000 });
    return Promise.resolve();
  });
  assert.ok(await addJob(kv, queue, "a"));
  assert.equal((await queue.runDue()).retried, 1);
  const waiting = await queue.getJob("fetch", "a");
  assert.equal(waiting?.state, "waiting");
  assert.equal(waiting?.job.lastError, "socket hang up");
  assert.equal(waiting?.job.dueAt, clock.t + 1000);
  assert.equal((await queue.runDue()).listed, 0, "not due before its backoff");
  clock.t += 1000;
  assert.equal((await queue.runDue()).retried, 1);
  clock.t += 2000;
  assert.equal((await queue.runDue()).listed, 0, "Retry-After is longer than the backoff");
  clock.t += 8000;
  assert.equal((await queue.runDue()).succeeded, 1);
  assert.deepEqual(attempts, [1, 2, 3]);
  assert.equal(await queue.getJob("fetch", "a"), null);
  kv.close();
});

Deno.test("[jobs] permanent error and last attempt move the job to failed and call onFailed", async () => {
  const kv = await Deno.openKv(":memory:");
  const failures: [string, unknown, string][] = [];
  const { queue, clock } = queueWithClock(kv, {
    maxAttempts: 2,
    backoff: () => 10,
    onFailed(type, payload, error) {
      failures.push([type, payload, error.message]);
    },
  });
  queue.register("fetch", (payload) => {
    const { key } = payload as { key: string };
    if (key === "perm") throw new PermanentJobError("lead was deleted at Meta");
    throw new Error("still down");
  });
  await addJob(kv, queue, "perm");
  await addJob(kv, queue, "flaky");
  const first = await queue.runDue();
  assert.deepEqual([first.failed, first.retried], [1, 1]);
  clock.t += 10;
  assert.equal((await queue.runDue()).failed, 1);
  assert.deepEqual(failures, [
    ["fetch", { key: "perm" }, "lead was deleted at Meta"],
    ["fetch", { key: "flaky" }, "still down"],
  ]);
  const failed = await queue.getJob("fetch", "flaky");
  assert.equal(failed?.state, "failed");
  assert.equal(failed?.job.attempts, 2);
  clock.t += 1_000_000;
  assert.equal((await queue.runDue()).listed, 0, "failed jobs never come due");
  kv.close();
});

Deno.test("[jobs] retryJob re-queues a failed job; idempotency key refuses a second job", async () => {
  const kv = await Deno.openKv(":memory:");
  let fail = true;
  const { queue } = queueWithClock(kv, { maxAttempts: 1 });
  queue.register("fetch", () => fail ? Promise.reject(new Error("down")) : Promise.resolve());
  assert.ok(await addJob(kv, queue, "k"));
  assert.equal(await addJob(kv, queue, "k"), false, "a waiting job holds its key");
  await queue.runDue();
  assert.equal((await queue.getJob("fetch", "k"))?.state, "failed");
  assert.equal(await addJob(kv, queue, "k"), false, "a failed job holds its key");
  assert.equal(await queue.retryJob("fetch", "k"), "requeued");
  assert.equal(await queue.retryJob("fetch", "k"), "rescheduled");
  assert.equal(await queue.retryJob("fetch", "nope"), "missing");
  fail = false;
  const run = await queue.runDue();
  assert.equal(run.succeeded, 1);
  assert.equal(run.listed, 1, "rescheduling left no second due entry");
  assert.ok(await addJob(kv, queue, "k"), "a finished job frees its key");
  kv.close();
});

Deno.test("[jobs] lease - two queues over one KV never both run a job", async () => {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/jobs.sqlite`);
  const kvB = await Deno.openKv(`${dir}/jobs.sqlite`);
  const logAB = quietLog();
  const queueA = createJobQueue(kvA, { log: logAB });
  const queueB = createJobQueue(kvB, { log: logAB });
  const runs = new Map<string, number>();
  function handler(payload: unknown) {
    const { key } = payload as { key: string };
    runs.set(key, (runs.get(key) ?? 0) + 1);
    return new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
  queueA.register("fetch", handler);
  queueB.register("fetch", handler);
  for (let i = 0; i < 20; i++) await addJob(kvA, queueA, `k${i}`);
  const results = await Promise.all([queueA.runDue(), queueB.runDue(), queueA.runDue()]);
  assert.equal(
    results.reduce((sum, r) => sum + r.succeeded, 0),
    20,
    logAB.lines.join("\n") + JSON.stringify(results),
  );
  assert.deepEqual([...runs.values()], Array(20).fill(1));
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[jobs] lease - a job whose run died is picked up once its lease expired", async () => {
  const kv = await Deno.openKv(":memory:");
  const logA = quietLog();
  const clock = { t: 1_000_000 };
  const queueA = createJobQueue(kv, { now: () => clock.t, leaseMs: 30_000, log: logA });
  const queueB = createJobQueue(kv, { now: () => clock.t, leaseMs: 30_000, log: quietLog() });
  const stuck = deferred();
  const started = deferred();
  queueA.register("fetch", () => {
    started.resolve();
    return stuck.promise; // the "crashed" run: claimed, never finishes in time
  });
  const ranB: number[] = [];
  queueB.register("fetch", (_payload, ctx) => {
    ranB.push(ctx.attempt);
    return Promise.resolve();
  });
  await addJob(kv, queueA, "k");
  const runA = queueA.runDue();
  await settles(started.promise, "the job handler to start");
  assert.equal((await queueB.runDue()).claimed, 0, "the lease holds");
  assert.equal((await queueB.getJob("fetch", "k"))?.state, "running");
  clock.t += 30_000;
  assert.equal((await queueB.runDue()).succeeded, 1, "expired lease is due again");
  assert.deepEqual(ranB, [2]);
  stuck.resolve();
  await runA;
  assert.equal(await queueB.getJob("fetch", "k"), null);
  assert.ok(logA.lines.some((line) => line.includes("lease expired")), logA.lines.join("\n"));
  kv.close();
});

Deno.test("[jobs] kick coalesces, start/stop sweep and stop waits for running jobs", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { intervalMs: 20, log: quietLog() });
  assert.equal(queue.kick(), queue.kick(), "kicks in one tick share a run");
  await queue.kick();
  const started = deferred();
  let finished = false;
  queue.register("fetch", async () => {
    started.resolve();
    await new Promise((resolve) => setTimeout(resolve, 30));
    finished = true;
  });
  await addJob(kv, queue, "k");
  queue.start();
  await settles(started.promise, "the job handler to start");
  await queue.stop();
  assert.equal(finished, true);
  assert.equal(await queue.getJob("fetch", "k"), null);
  kv.close();
});

Deno.test("[jobs] a job of an unregistered type fails its attempts rather than vanishing", async () => {
  const kv = await Deno.openKv(":memory:");
  const { queue } = queueWithClock(kv, { maxAttempts: 1 });
  await addJob(kv, queue, "k");
  assert.equal((await queue.runDue()).failed, 1);
  assert.match((await queue.getJob("fetch", "k"))?.job.lastError ?? "", /No handler/);
  kv.close();
});

Deno.test("[jobs] a kick with more than one page of due jobs keeps going until none are left", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { log: quietLog() });
  let ran = 0;
  queue.register("fetch", () => {
    ran++;
    return Promise.resolve();
  });
  for (let i = 0; i < 150; i++) await addJob(kv, queue, `k${i}`);
  await queue.kick();
  await queue.stop(); // waits for the follow-up run the first kick started
  assert.equal(ran, 150);
  kv.close();
});

Deno.test("[jobs] a write KV refuses over its limits fails the job at once, without retries", async () => {
  const kv = await Deno.openKv(":memory:");
  const failed: string[] = [];
  const { queue } = queueWithClock(kv, {
    maxAttempts: 8,
    onFailed: (_type, _payload, error) => {
      failed.push(error.message);
    },
  });
  let attempts = 0;
  queue.register("fetch", async () => {
    attempts++;
    // The same value is too large every time: retrying cannot help.
    await kv.set(["too_large"], "€".repeat(40_000));
  });
  await addJob(kv, queue, "big");
  const result = await queue.runDue();
  assert.equal(result.failed, 1);
  assert.equal(attempts, 1);
  assert.equal((await queue.getJob("fetch", "big"))?.state, "failed");
  assert.match(failed[0], /Value too large/);
  await queue.stop();
  kv.close();
});

Deno.test("[jobs] a job created claimed runs here at once; its handler's commit removes it", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { log: quietLog() });
  const other = createJobQueue(kv, { log: quietLog() });
  const ran: { attempt: number; payload: unknown }[] = [];
  queue.register("fetch", async (payload, ctx) => {
    ran.push({ attempt: ctx.attempt, payload });
    // The handler's own result and the job's removal land in one commit.
    const op = kv.atomic().set(["result", ctx.jobId], "done");
    ctx.complete!(op);
    assert.equal((await op.commit()).ok, true);
    return COMPLETED_IN_COMMIT;
  });
  other.register("fetch", () => Promise.reject(new Error("the other queue must not run it")));
  const op = kv.atomic();
  const claimed = queue.addClaimedJob(op, { type: "fetch", key: "k", payload: { n: 1 } });
  const res = await op.commit();
  assert.equal(res.ok, true);
  assert.equal((await queue.getJob("fetch", "k"))?.state, "running", "claimed from birth");
  assert.equal((await other.runDue()).claimed, 0, "a sweep leaves a claimed job alone");
  queue.runClaimed(claimed, (res as Deno.KvCommitResult).versionstamp);
  await waitFor(async () => (await queue.getJob("fetch", "k")) === null, "the job to finish");
  assert.deepEqual(ran, [{ attempt: 1, payload: { n: 1 } }]);
  assert.equal((await kv.get(["result", claimed.id])).value, "done");
  assert.equal((await kv.list({ prefix: ["jobs_due"] }).next()).done, true, "no due entry left");
  await queue.stop();
  await other.stop();
  kv.close();
});

Deno.test("[jobs] a claimed job whose process died comes due when its lease expires", async () => {
  const kv = await Deno.openKv(":memory:");
  const clock = { t: 1_000_000 };
  const dead = createJobQueue(kv, { now: () => clock.t, leaseMs: 10_000, log: quietLog() });
  const alive = createJobQueue(kv, { now: () => clock.t, leaseMs: 10_000, log: quietLog() });
  const attempts: number[] = [];
  alive.register("fetch", (_payload, ctx) => {
    attempts.push(ctx.attempt);
    return Promise.resolve();
  });
  const op = kv.atomic();
  dead.addClaimedJob(op, { type: "fetch", key: "k", payload: null });
  assert.equal((await op.commit()).ok, true);
  // The creating process dies before runClaimed: nothing runs it until the lease ends.
  clock.t += 9_999;
  assert.equal((await alive.runDue()).claimed, 0);
  clock.t += 1;
  assert.equal((await alive.runDue()).succeeded, 1);
  assert.deepEqual(attempts, [2], "the lost run counts as an attempt");
  await alive.stop();
  kv.close();
});

Deno.test("[jobs] heartbeat: a run longer than the lease keeps its job; no one else runs it", async () => {
  // A lease of 150 ms, renewed every 50 ms; the run takes 4 leases.
  const { kvA, queueA, queueB, logA, close } = await twoProcesses(150);
  const finish = deferred();
  const started = deferred();
  queueA.register("fetch", async () => {
    started.resolve();
    await finish.promise;
  });
  let ranB = 0;
  queueB.register("fetch", () => {
    ranB++;
    return Promise.resolve();
  });
  await addJob(kvA, queueA, "k");
  const runA = queueA.runDue();
  await settles(started.promise, "the job handler to start");
  const sweeps = await claimedBySweeps(600, queueB);
  assert.equal(sweeps, 0, "the lease was renewed while the job ran");
  assert.equal(ranB, 0);
  finish.resolve();
  assert.equal((await runA).succeeded, 1);
  assert.equal(await queueA.getJob("fetch", "k"), null);
  assert.deepEqual(logA.lines, [], "no lease was lost");
  await close();
});

/**
 * `kv`, with its commits held while `holding` is set: each held commit waits for the test to
 * release it, in the order they came.
 */
function kvWithHeldCommits(kv: Deno.Kv) {
  const held: { release: () => void; done: Promise<unknown> }[] = [];
  const control = { held, holding: false };
  const proxy = new Proxy(kv, {
    get(target, name) {
      if (name !== "atomic") {
        const value = Reflect.get(target, name);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return () => {
        const op = target.atomic();
        const commit = op.commit.bind(op);
        op.commit = () => {
          if (!control.holding) return commit();
          const gate = Promise.withResolvers<void>();
          const done = gate.promise.then(commit);
          held.push({ release: gate.resolve, done });
          return done;
        };
        return op;
      };
    },
  });
  return { kv: proxy, control };
}

Deno.test("[jobs] heartbeat: a job that finishes while its lease renewal is in flight is removed, not run again", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, control } = kvWithHeldCommits(real);
  const log = quietLog();
  // A lease of 150 ms, renewed every 50 ms.
  const queue = createJobQueue(kv, { leaseMs: 150, log });
  const started = deferred();
  const finish = deferred();
  queue.register("fetch", async () => {
    started.resolve();
    await finish.promise;
  });
  await addJob(kv, queue, "k");
  const run = queue.runDue();
  await settles(started.promise, "the job handler to start");
  // The next renewal's commit is held: the handler finishes while it is in flight.
  control.holding = true;
  await waitFor(() => control.held.length > 0, "a lease renewal to be in flight");
  finish.resolve();
  // Every microtask has run once a timer fires: a finish commit built now, with the claim's
  // versionstamp from before the renewal, would be waiting behind the renewal.
  await new Promise((resolve) => setTimeout(resolve, 0));
  control.holding = false;
  // The renewal lands first, then whatever was built meanwhile.
  control.held[0].release();
  await control.held[0].done;
  for (const commit of control.held.slice(1)) commit.release();
  assert.equal((await run).succeeded, 1);
  assert.equal(await queue.getJob("fetch", "k"), null, "the job is gone, not left running");
  assert.deepEqual(log.lines, [], "no finish was refused");
  await queue.stop();
  real.close();
});

Deno.test("[jobs] stop gives back claimed jobs that never got a slot: due at once, attempt not spent", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { concurrency: 1, log: quietLog() });
  const release = deferred();
  const started = deferred();
  queue.register("fetch", async () => {
    started.resolve();
    await release.promise;
  });
  const claims = [];
  for (const key of ["a", "b"]) {
    const op = kv.atomic();
    const claimed = queue.addClaimedJob(op, { type: "fetch", key, payload: null });
    const res = await op.commit() as Deno.KvCommitResult;
    claims.push({ claimed, versionstamp: res.versionstamp });
  }
  for (const { claimed, versionstamp } of claims) queue.runClaimed(claimed, versionstamp);
  await settles(started.promise, "the job handler to start");
  const stopping = queue.stop();
  release.resolve();
  await stopping;
  assert.equal(await queue.getJob("fetch", "a"), null, "the running one finished");
  const waiting = await queue.getJob("fetch", "b");
  assert.equal(waiting?.state, "waiting", "the other was given back");
  assert.equal(waiting?.job.attempts, 0);
  assert.ok(waiting!.job.dueAt <= Date.now());
  kv.close();
});

Deno.test("[jobs] a job is stored under its type and key: two writes to add it, two to remove it", async () => {
  const kv = await Deno.openKv(":memory:");
  const queue = createJobQueue(kv, { log: quietLog() });
  queue.register("fetch", () => Promise.resolve());
  assert.equal(await addJob(kv, queue, "k"), true);
  const keys: Deno.KvKey[] = [];
  for await (const entry of kv.list({ prefix: [] })) keys.push(entry.key);
  assert.deepEqual(keys.map((key) => key[0]).sort(), ["jobs", "jobs_due"]);
  assert.deepEqual(await kv.get(["jobs", "fetch:k"]).then((e) => e.versionstamp !== null), true);
  assert.equal(await addJob(kv, queue, "k"), false, "a second job with the same key is refused");
  await queue.runDue();
  assert.equal((await kv.list({ prefix: [] }).next()).done, true, "nothing left behind");
  kv.close();
});

Deno.test("[jobs] a job stored before ids came from type and key is found, refused twice, run and cleaned up", async () => {
  const kv = await Deno.openKv(":memory:");
  const clock = { t: 1_000_000 };
  const queue = createJobQueue(kv, { now: () => clock.t, log: quietLog() });
  const ran: unknown[] = [];
  queue.register("fetch", (payload) => {
    ran.push(payload);
    return Promise.resolve();
  });
  // The old layout: a ULID id, its record, its due entry and the by-key index.
  const id = "01HZZZZZZZZZZZZZZZZZZZZZZZ";
  const record = {
    id,
    type: "fetch",
    key: "old",
    payload: { n: 1 },
    dueAt: clock.t,
    attempts: 0,
    leaseUntil: null,
    createdAt: clock.t,
    lastError: null,
  };
  await kv.atomic().set(["jobs", id], record).set(["jobs_due", clock.t, id], id)
    .set(["jobs_by_key", "fetch", "old"], id).commit();
  assert.equal((await queue.getJob("fetch", "old"))?.job.id, id);
  assert.equal(await addJob(kv, queue, "old"), false, "no second job beside the old one");
  assert.equal((await queue.runDue()).succeeded, 1);
  assert.deepEqual(ran, [{ n: 1 }]);
  assert.equal(await queue.getJob("fetch", "old"), null);
  assert.equal((await kv.list({ prefix: [] }).next()).done, true, "its index went with it");
  kv.close();
});

Deno.test("[jobs] a held claim keeps its lease past the lease time and is removed by its holder's own commit", async () => {
  // A lease of 150 ms, renewed every 50 ms; held for 4 leases.
  const { kvA, queueA, queueB, logA, close } = await twoProcesses(150);
  let ran = 0;
  const count = () => {
    ran++;
    return Promise.resolve();
  };
  queueA.register("inbox", count);
  queueB.register("inbox", count);
  const op = kvA.atomic();
  const claimed = queueA.addClaimedJob(op, { type: "inbox", key: "k", payload: null });
  const res = await commitAtomic(op);
  assert.ok(res.ok);
  const claim = queueA.holdClaimed(claimed, res.versionstamp);
  const swept = await claimedBySweeps(600, queueB, queueA);
  assert.equal(swept, 0, "neither process's sweep took the held job");
  // The holder's own commit carries its result and the job's removal.
  await claim.settle();
  const done = kvA.atomic().set(["result", "k"], "stored");
  claim.complete(done);
  assert.ok((await commitAtomic(done)).ok);
  claim.release();
  assert.equal(await queueA.getJob("inbox", "k"), null);
  assert.equal((await kvA.get(["result", "k"])).value, "stored");
  assert.equal((await kvA.list({ prefix: ["jobs_due"] }).next()).done, true, "no due entry left");
  assert.equal(ran, 0, "no handler ran it");
  assert.deepEqual(logA.lines, [], "no lease was lost");
  await queueA.stop();
  await queueB.stop();
  await close();
});

Deno.test("[jobs] takeOver runs every job of a type at once, leased or not, and leaves other types and held claims alone", async () => {
  const kv = await Deno.openKv(":memory:");
  const clock = { t: 1_000_000 };
  const dead = createJobQueue(kv, { now: () => clock.t, leaseMs: 10_000, log: quietLog() });
  const next = createJobQueue(kv, { now: () => clock.t, leaseMs: 10_000, log: quietLog() });
  const ran: string[] = [];
  next.register("inbox", (payload, ctx) => {
    ran.push(`${payload} attempt ${ctx.attempt}`);
    return Promise.resolve();
  });
  next.register("fetch", () => Promise.reject(new Error("another type must not run")));
  const op = kv.atomic();
  // Left by a process that died: claimed, leases far from expired.
  dead.addClaimedJob(op, { type: "inbox", key: "a", payload: "a" });
  dead.addClaimedJob(op, { type: "inbox", key: "b", payload: "b" });
  dead.addClaimedJob(op, { type: "fetch", key: "f", payload: "f" });
  const mine = next.addClaimedJob(op, { type: "inbox", key: "mine", payload: "mine" });
  const res = await op.commit();
  assert.ok(res.ok);
  const claim = next.holdClaimed(mine, res.versionstamp);
  assert.equal((await next.runDue()).claimed, 0, "nothing is due yet");
  const result = await next.takeOver("inbox");
  assert.equal(result.succeeded, 2);
  assert.deepEqual(ran.sort(), ["a attempt 2", "b attempt 2"]);
  assert.equal(await next.getJob("inbox", "a"), null);
  assert.equal((await next.getJob("fetch", "f"))?.state, "running", "another type left alone");
  assert.equal((await next.getJob("inbox", "mine"))?.state, "running", "a held claim left alone");
  claim.release();
  await next.stop();
  await dead.stop();
  kv.close();
});

/** Two processes' queues (each its own KV handle) on one temp KV file, with a lease of `leaseMs`. */
async function twoProcesses(leaseMs: number) {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/jobs.sqlite`);
  const kvB = await Deno.openKv(`${dir}/jobs.sqlite`);
  const logA = quietLog();
  const queueA = createJobQueue(kvA, { leaseMs, log: logA });
  const queueB = createJobQueue(kvB, { leaseMs, log: quietLog() });
  return {
    kvA,
    queueA,
    queueB,
    logA,
    async close() {
      kvA.close();
      kvB.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Jobs the `queues`' sweeps claimed, sweeping every 20 ms for `ms`. */
async function claimedBySweeps(ms: number, ...queues: JobQueue[]): Promise<number> {
  const until = Date.now() + ms;
  let claimed = 0;
  while (Date.now() < until) {
    for (const queue of queues) claimed += (await queue.runDue()).claimed;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return claimed;
}
