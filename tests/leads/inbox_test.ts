// The webhook inbox on its own (no HTTP): a queued delivery is durable as one inbox record before
// its answer and stored by the processor right behind, the record removed in its leads' commit;
// what a dead process left in its inbox is stored once by the next; repeats insert once.
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { jobKey } from "../../lib/jobs/keys.ts";
import { createJobQueue, type JobQueue } from "../../lib/jobs/queue.ts";
import { deliveryKey, listDeliveryLog } from "../../lib/leads/deliveries.ts";
import { FETCH_LEAD_DETAILS } from "../../lib/leads/fetch_details.ts";
import { type InboxOptions, WEBHOOK_INBOX } from "../../lib/leads/inbox.ts";
import { createIngestion, type Ingestion } from "../../lib/leads/ingest.ts";
import { leadByLeadgenKey, LEADS_BY_CREATED_PREFIX } from "../../lib/leads/keys.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger, type Logger } from "../../lib/log.ts";
import { countKeys } from "../faults/_helpers.ts";
import { waitFor } from "../_helpers/wait.ts";
import { kvWatchingAtomics } from "../_helpers/kv_spy.ts";

const SECRET = "inbox-test-secret";

/** Every commit's sets and deletes (keys as JSON), in commit order, of the commits that went through. */
interface CommitLog {
  commits: { sets: Set<string>; deletes: Set<string> }[];
}

/** A KV that records the keys each successful commit set and deleted. */
function recordingKv(real: Deno.Kv): { kv: Deno.Kv; log: CommitLog } {
  const log: CommitLog = { commits: [] };
  const kv = kvWatchingAtomics(real, (op) => {
    const seen = { sets: new Set<string>(), deletes: new Set<string>() };
    const set = op.set.bind(op);
    const del = op.delete.bind(op);
    const commit = op.commit.bind(op);
    op.set = (key, value, options) => {
      seen.sets.add(JSON.stringify(key));
      return set(key, value, options);
    };
    op.delete = (key) => {
      seen.deletes.add(JSON.stringify(key));
      return del(key);
    };
    op.commit = async () => {
      const res = await commit();
      if (res.ok) log.commits.push(seen);
      return res;
    };
  });
  return { kv, log };
}

interface Pipeline {
  kv: Deno.Kv;
  jobs: JobQueue;
  ingestion: Ingestion;
  /** Log lines written. */
  lines: string[];
  close(): Promise<void>;
}

/**
 * Ingestion over `kv` whose inbox takes every delivery (threshold 0 unless given); fetch jobs are
 * created but not run (no Graph here), so the leads stay as their stubs.
 */
function pipeline(
  kv: Deno.Kv,
  options: { threshold?: number; leaseMs?: number; inbox?: InboxOptions } = {},
): Pipeline {
  const lines: string[] = [];
  const log: Logger = createLogger({ level: "debug", sink: (line) => lines.push(line) });
  const leads = createLeadStore(kv);
  const queue = createJobQueue(kv, { log, leaseMs: options.leaseMs ?? 10_000, intervalMs: 100 });
  const jobs: JobQueue = { ...queue, runClaimed() {} };
  const ingestion = createIngestion({ kv, leads, jobs, appSecret: SECRET, log }, {
    inbox: { threshold: options.threshold ?? 0, ...options.inbox },
  });
  return {
    kv,
    jobs: queue,
    ingestion,
    lines,
    async close() {
      await ingestion.inbox.stop();
      await queue.stop();
    },
  };
}

let nextLeadgen = 910_000_000_000_000_000n;

/** A signed single-lead delivery (or of `leadgenIds`) as Meta sends it. */
async function delivery(...leadgenIds: string[]) {
  if (leadgenIds.length === 0) leadgenIds = [String(++nextLeadgen)];
  const body = new TextEncoder().encode(JSON.stringify({
    object: "page",
    entry: [{
      id: "101",
      time: 1764336000,
      changes: leadgenIds.map((id) => ({
        field: "leadgen",
        value: { leadgen_id: id, page_id: "101", form_id: "202", created_time: 1764336000 },
      })),
    }],
  }));
  return { body, signature: await signBody(SECRET, body), leadgenIds };
}

/** The inbox records waiting in `kv`. */
async function inboxRecords(kv: Deno.Kv): Promise<string[]> {
  const ids: string[] = [];
  const selector = { start: jobKey(`${WEBHOOK_INBOX}:`), end: jobKey(`${WEBHOOK_INBOX};`) };
  for await (const entry of kv.list(selector)) ids.push(String(entry.key[1]));
  return ids;
}

async function isStored(kv: Deno.Kv, leadgenId: string): Promise<boolean> {
  return (await kv.get(leadByLeadgenKey(leadgenId))).versionstamp !== null;
}

Deno.test("[inbox] a delivery acknowledged while the processor is held back is durable, and stored once it runs, its record removed in its lead's commit", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, log } = recordingKv(real);
  const app = pipeline(kv);
  try {
    app.ingestion.inbox.start();
    app.ingestion.inbox.pause();
    const sent = await delivery();
    const [leadgenId] = sent.leadgenIds;
    const result = await app.ingestion.ingest(sent.body, sent.signature, "req-held");
    assert.equal(result.outcome, "queued");
    if (result.outcome !== "queued") return;
    assert.equal(result.leadgenChanges, 1);
    // Acknowledged: durable as its inbox record (with the kept bytes), not stored as a lead yet.
    assert.equal(await isStored(kv, leadgenId), false);
    const records = await inboxRecords(kv);
    assert.deepEqual(records, [`${WEBHOOK_INBOX}:${result.deliveryId}`]);
    const kept = await kv.get(deliveryKey(result.deliveryId!));
    assert.ok(kept.value, "the kept copy is written with the inbox record");
    const ackCommit = log.commits.at(-1)!;
    assert.ok(ackCommit.sets.has(JSON.stringify(jobKey(records[0]))));
    assert.ok(ackCommit.sets.has(JSON.stringify(deliveryKey(result.deliveryId!))));
    assert.equal(app.ingestion.inbox.backlog(), 1);

    app.ingestion.inbox.resume();
    await waitFor(() => isStored(kv, leadgenId), "the processor to store the lead");
    await waitFor(async () => (await inboxRecords(kv)).length === 0, "the record to go");
    const removal = log.commits.find((commit) =>
      commit.deletes.has(JSON.stringify(jobKey(records[0])))
    );
    assert.ok(removal, "the record was removed by a commit");
    assert.ok(
      removal.sets.has(JSON.stringify(leadByLeadgenKey(leadgenId))),
      "in the commit that stored its lead",
    );
    // Stored as a webhook lead is: with its fetch job, and the delivery in the deliveries log.
    const fetchJob = await app.jobs.getJob(FETCH_LEAD_DETAILS, leadgenId);
    assert.ok(fetchJob, "its fetch job exists");
    const [entry] = await listDeliveryLog(kv);
    assert.equal(entry.deliveryId, result.deliveryId);
    assert.equal(entry.outcome, "accepted");
    assert.equal(entry.requestId, "req-held");
    assert.equal(app.ingestion.inbox.backlog(), 0);
  } finally {
    await app.close();
    real.close();
  }
});

Deno.test("[inbox] a process that dies between the inbox commit and the lead commit: the next one stores every lead once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-inbox-" });
  const path = `${dir}/leadline.kv`;
  const kvA = await Deno.openKv(path);
  const first = pipeline(kvA);
  const sent = await Promise.all(Array.from({ length: 30 }, () => delivery()));
  // Leads the first process did store, then a repeat of one of them left in its inbox.
  const storedFirst = sent.slice(0, 5);
  first.ingestion.inbox.start();
  for (const { body, signature } of storedFirst) {
    await first.ingestion.ingest(body, signature);
  }
  await waitFor(
    async () => (await inboxRecords(kvA)).length === 0,
    "the first process to store its first leads",
  );
  first.ingestion.inbox.pause();
  const answers = await Promise.all(
    [...sent.slice(5), storedFirst[0]].map(({ body, signature }) =>
      first.ingestion.ingest(body, signature)
    ),
  );
  assert.ok(answers.every((answer) => answer.outcome === "queued"));
  assert.equal((await inboxRecords(kvA)).length, 26);
  // The first process dies: its KV goes away under it, nothing of it stops cleanly.
  kvA.close();

  const kvB = await Deno.openKv(path);
  const second = pipeline(kvB);
  try {
    // The one server of a KV file takes over at start what a crashed process left.
    second.ingestion.inbox.start({ takeOver: true });
    await waitFor(
      async () => (await inboxRecords(kvB)).length === 0,
      "the second process to empty the inbox",
    );
    for (const { leadgenIds } of sent) {
      assert.ok(await isStored(kvB, leadgenIds[0]), `lead ${leadgenIds[0]} stored`);
    }
    assert.equal(await countKeys(kvB, LEADS_BY_CREATED_PREFIX), 30, "each lead once");
    assert.equal(await countKeys(kvB, ["jobs_failed"]), 0);
    let fetchJobs = 0;
    for await (const entry of kvB.list<{ type: string }>({ prefix: ["jobs"] })) {
      if (entry.value.type === FETCH_LEAD_DETAILS) fetchJobs++;
    }
    assert.equal(fetchJobs, 30, "one fetch job per lead");
  } finally {
    await second.close();
    // What the dead process still held cannot reach its closed KV: it is only logged.
    await first.close();
    kvB.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[inbox] records no live process holds are stored by any process's sweep once their lease expires", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-inbox-lease-" });
  const path = `${dir}/leadline.kv`;
  const kvA = await Deno.openKv(path);
  const first = pipeline(kvA, { leaseMs: 1_000 });
  first.ingestion.inbox.start();
  first.ingestion.inbox.pause();
  const sent = await Promise.all(Array.from({ length: 5 }, () => delivery()));
  for (const { body, signature } of sent) await first.ingestion.ingest(body, signature);
  kvA.close();

  // Another isolate on the same KV (Deno Deploy): it takes nothing over at start, only what its
  // sweeps find due, i.e. once the dead process's leases expired.
  const kvB = await Deno.openKv(path);
  const second = pipeline(kvB, { leaseMs: 1_000 });
  try {
    second.ingestion.inbox.start();
    assert.equal((await second.jobs.runDue()).claimed, 0, "nothing is due while the lease holds");
    second.jobs.start();
    await waitFor(
      async () => (await inboxRecords(kvB)).length === 0,
      "a sweep to store the records",
    );
    for (const { leadgenIds } of sent) assert.ok(await isStored(kvB, leadgenIds[0]));
    assert.equal(await countKeys(kvB, LEADS_BY_CREATED_PREFIX), 5);
  } finally {
    await second.close();
    await first.close();
    kvB.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[inbox] the same delivery twice in the inbox, a replay and a record swept after its leads were stored insert once", async () => {
  const kv = await Deno.openKv(":memory:");
  const app = pipeline(kv);
  try {
    app.ingestion.inbox.start();
    app.ingestion.inbox.pause();
    const sent = await delivery();
    const first = await app.ingestion.ingest(sent.body, sent.signature);
    const second = await app.ingestion.ingest(sent.body, sent.signature);
    assert.equal(first.outcome, "queued");
    assert.equal(second.outcome, "queued");
    assert.equal((await inboxRecords(kv)).length, 2);
    app.ingestion.inbox.resume();
    await waitFor(async () => (await inboxRecords(kv)).length === 0, "both records to go");
    assert.equal(await countKeys(kv, LEADS_BY_CREATED_PREFIX), 1, "one lead");
    assert.ok(await isStored(kv, sent.leadgenIds[0]));

    // An admin replays the kept delivery: its lead is known.
    const replayed = await app.ingestion.replay(first.deliveryId!);
    assert.equal(replayed?.outcome, "accepted");
    if (replayed?.outcome === "accepted") {
      assert.equal(replayed.inserted, 0);
      assert.equal(replayed.duplicates, 1);
    }

    // A record whose leads were stored before it could be removed (a crash just then): the sweep
    // finds them known, stores nothing more and removes it.
    const op = kv.atomic();
    const claimed = app.jobs.addClaimedJob(op, {
      type: WEBHOOK_INBOX,
      key: first.deliveryId!,
      payload: {
        deliveryId: first.deliveryId,
        requestId: null,
        receivedAt: new Date().toISOString(),
      },
    }, { keyIsNew: true });
    assert.ok((await op.commit()).ok);
    const result = await app.jobs.takeOver(WEBHOOK_INBOX);
    assert.equal(result.succeeded, 1);
    assert.deepEqual(await inboxRecords(kv), [], `record ${claimed.id} removed`);
    assert.equal(await countKeys(kv, LEADS_BY_CREATED_PREFIX), 1, "still one lead");
  } finally {
    await app.close();
    kv.close();
  }
});

Deno.test("[inbox] a stop stores what waits in the inbox, paused or not", async () => {
  const kv = await Deno.openKv(":memory:");
  const app = pipeline(kv);
  try {
    app.ingestion.inbox.start();
    app.ingestion.inbox.pause();
    const sent = await Promise.all(Array.from({ length: 12 }, () => delivery()));
    const answers = await Promise.all(
      sent.map(({ body, signature }) => app.ingestion.ingest(body, signature)),
    );
    assert.ok(answers.every((answer) => answer.outcome === "queued"));
    await app.ingestion.inbox.stop();
    assert.deepEqual(await inboxRecords(kv), []);
    assert.equal(await countKeys(kv, LEADS_BY_CREATED_PREFIX), 12);
    // Stopped: a delivery now waits for its leads.
    const late = await delivery();
    const answer = await app.ingestion.ingest(late.body, late.signature);
    assert.equal(answer.outcome, "accepted");
  } finally {
    await app.close();
    kv.close();
  }
});

Deno.test("[inbox] below the threshold a delivery waits for its leads and writes no inbox record; a burst past it is queued, and then low load waits again", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, log } = recordingKv(real);
  const app = pipeline(kv, { threshold: 3 });
  const sequential = async () => {
    for (let i = 0; i < 3; i++) {
      const sent = await delivery();
      const answer = await app.ingestion.ingest(sent.body, sent.signature);
      assert.equal(answer.outcome, "accepted", "answered with what its commit did");
      if (answer.outcome === "accepted") assert.equal(answer.inserted, 1);
      assert.ok(await isStored(kv, sent.leadgenIds[0]), "stored before the answer");
    }
  };
  const inboxWrites = () =>
    log.commits.filter((commit) => [...commit.sets].some((key) => key.includes(WEBHOOK_INBOX)))
      .length;
  try {
    app.ingestion.inbox.start();
    // One at a time nothing waits: each answer comes once its lead is committed, as always.
    await sequential();
    assert.equal(inboxWrites(), 0, "no inbox record was written");

    // Ten at once, the processor held back: the first ones are stored directly, and once three
    // wait the rest are answered as soon as they are durable in the inbox.
    app.ingestion.inbox.pause();
    const burst = await Promise.all(Array.from({ length: 10 }, () => delivery()));
    const answers = await Promise.all(
      burst.map(({ body, signature }) => app.ingestion.ingest(body, signature)),
    );
    const queued = answers.filter((answer) => answer.outcome === "queued").length;
    assert.ok(queued >= 1 && queued <= 7, `${queued} of 10 queued`);
    assert.ok(answers.every((a) => a.outcome === "queued" || a.outcome === "accepted"));
    assert.equal((await inboxRecords(kv)).length, queued);
    app.ingestion.inbox.resume();
    await waitFor(async () => (await inboxRecords(kv)).length === 0, "the inbox to drain");
    for (const { leadgenIds } of burst) assert.ok(await isStored(kv, leadgenIds[0]));

    // The backlog is gone: one at a time waits for its lead again.
    const written = inboxWrites();
    await sequential();
    assert.equal(inboxWrites(), written);
  } finally {
    await app.close();
    real.close();
  }
});

Deno.test("[inbox] deliveries that never stop coming still get stored while they come: a small batch every so often, then all at once for the oldest", async (t) => {
  for (
    const [name, options] of [
      // No quiet moment ever: only the small batches run.
      ["small batches", { quietMs: 1e9, maxDelayMs: 1e9, maxWaitMs: 5, busyBatchSize: 2 }],
      // Nor small batches (far apart): the oldest delivery's age lets the processor go on.
      ["the oldest's age", { quietMs: 1e9, maxWaitMs: 1e9, maxDelayMs: 20 }],
    ] as const
  ) {
    await t.step(name, async () => {
      const kv = await Deno.openKv(":memory:");
      const app = pipeline(kv, { inbox: options });
      try {
        app.ingestion.inbox.start();
        const first = await delivery();
        assert.equal((await app.ingestion.ingest(first.body, first.signature)).outcome, "queued");
        let sending = true;
        let sent = 1;
        const load = (async () => {
          while (sending) {
            const next = await delivery();
            await app.ingestion.ingest(next.body, next.signature);
            sent++;
          }
        })();
        await waitFor(() => isStored(kv, first.leadgenIds[0]), "the first lead, amid the load");
        sending = false;
        await load;
        assert.ok(sent > 1, "deliveries kept coming meanwhile");
      } finally {
        await app.close();
        kv.close();
      }
    });
  }
});
