import assert from "node:assert/strict";
import { InvalidCursorError } from "../../lib/errors.ts";
import { newManualLead, newMetaLead } from "../../lib/leads/model.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { leadChangeKey } from "../../lib/leads/keys.ts";
import { createLeadStore, LeadNotFoundError } from "../../lib/leads/store.ts";

const now = new Date("2025-03-04T05:06:07.000Z");

function metaLead(leadgenId: string, createdTime = 1_700_000_000): Lead {
  return newMetaLead({
    leadgenId,
    pageId: "111",
    formId: "222",
    adId: "333",
    adgroupId: null,
    createdTime,
  }, now);
}

/** Every change seq from 1 to head, in order, with nothing missing. */
async function assertGapFreeLog(store: ReturnType<typeof createLeadStore>) {
  const head = await store.getChangeHead();
  const seqs: number[] = [];
  let since = 0;
  while (since < head) {
    const page = await store.listChangesSince(since, 1000);
    assert.equal(page.gap, false);
    seqs.push(...page.changes.map((change) => change.seq));
    since = page.changes.at(-1)!.seq;
  }
  assert.deepEqual(seqs, Array.from({ length: head }, (_, i) => i + 1));
  return head;
}

Deno.test("[db] leads - insert, read back by id and leadgen id, change recorded", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const lead = metaLead("100000000000000001");
  const result = await store.insertLeads([lead]);
  assert.deepEqual(result.inserted.map((l) => l.id), [lead.id]);
  assert.deepEqual(result.duplicates, []);
  // The record holds no timeline: its events are records of their own, read page by page.
  const record = { ...lead, timeline: [] };
  assert.deepEqual(await store.getLead(lead.id), record);
  assert.deepEqual(await store.getLeadByLeadgenId("100000000000000001"), record);
  assert.deepEqual((await store.listTimeline(lead.id)).events, lead.timeline);
  assert.deepEqual(result.inserted[0].timeline, lead.timeline, "inserted says what it recorded");
  assert.equal(await store.getLeadByLeadgenId("9"), null);
  assert.equal(await store.getChangeHead(), 1);
  const page = await store.listChangesSince(0);
  const at = page.changes[0]?.at;
  assert.match(at ?? "", /^\d{4}-\d\d-\d\dT[\d:.]+Z$/, "the change says when it was committed");
  assert.deepEqual(page.changes, [{ seq: 1, kind: "created", lead: record, at }]);
  assert.equal(page.head, 1);
  kv.close();
});

Deno.test("[db] leads - dedupe by leadgenId within a batch and against KV", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  await store.insertLeads([metaLead("1")]);
  const again = [
    metaLead("1"),
    metaLead("2"),
    metaLead("2"),
    newManualLead({
      source: "phone",
      phone: "555",
    }, now),
  ];
  const result = await store.insertLeads(again);
  assert.deepEqual(result.inserted.map((l) => l.id), [again[1].id, again[3].id]);
  assert.deepEqual(result.duplicates.map((l) => l.id).sort(), [again[0].id, again[2].id].sort());
  assert.equal(await assertGapFreeLog(store), 3);
  kv.close();
});

Deno.test("[db] leads - 20 identical deliveries at once give exactly one lead", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const results = await Promise.all(
    Array.from({ length: 20 }, () => store.insertLeads([metaLead("42")])),
  );
  assert.equal(results.flatMap((r) => r.inserted).length, 1);
  assert.equal(results.flatMap((r) => r.duplicates).length, 19);
  assert.equal(await store.getChangeHead(), 1);
  assert.equal((await store.listLeads()).leads.length, 1);
  kv.close();
});

Deno.test("[db] leads - two processes (one KV file opened twice) keep one lead and a gap-free log", async () => {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/leads.sqlite`);
  const kvB = await Deno.openKv(`${dir}/leads.sqlite`);
  const storeA = createLeadStore(kvA);
  const storeB = createLeadStore(kvB);
  const calls: Promise<{ inserted: Lead[] }>[] = [];
  for (let i = 0; i < 30; i++) {
    const store = i % 2 === 0 ? storeA : storeB;
    calls.push(store.insertLeads([metaLead(String(1000 + (i % 10))), metaLead(String(5000 + i))]));
  }
  const inserted = (await Promise.all(calls)).flatMap((r) => r.inserted);
  assert.equal(inserted.length, 10 + 30);
  assert.equal(await assertGapFreeLog(storeA), 40);
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[db] leads - 1,000 leads split into commits within KV limits, onCommit in each lead's commit", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 1000 }, (_, i) => metaLead(String(10_000 + i)));
  const result = await store.insertLeads(leads, {
    onCommit(op, lead) {
      op.check({ key: ["job_marks", lead.id], versionstamp: null })
        .set(["job_marks", lead.id], lead.leadgenId);
    },
  });
  assert.equal(result.inserted.length, 1000);
  assert.equal(await assertGapFreeLog(store), 1000);
  let marks = 0;
  for await (const _ of kv.list({ prefix: ["job_marks"] })) marks++;
  assert.equal(marks, 1000);
  kv.close();
});

Deno.test("[db] leads - a lead whose onCommit check fails is not stored, others in the group are", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  await kv.set(["taken", "2"], true);
  const addMark = {
    onCommit(op: Deno.AtomicOperation, lead: Lead) {
      op.check({ key: ["taken", lead.leadgenId!], versionstamp: null });
    },
  };
  const [first, second] = await Promise.all([
    store.insertLeads([metaLead("1")], addMark),
    store.insertLeads([metaLead("2")], addMark),
  ]);
  assert.equal(first.inserted.length, 1);
  // Reported for that lead alone (one lead that cannot be stored never stops the others).
  assert.equal(second.inserted.length, 0);
  assert.equal(second.failed.length, 1);
  assert.match(second.failed[0].error.message, /onCommit/);
  assert.ok(await store.getLeadByLeadgenId("1"));
  assert.equal(await store.getLeadByLeadgenId("2"), null);
  assert.equal(await assertGapFreeLog(store), 1);
  kv.close();
});

Deno.test("[db] leads - a lead too large for one KV value is stored shortened and flagged, with the others", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const answers = Array.from({ length: 100 }, (_, i) => ({
    name: `question_${i}`,
    values: ["x".repeat(700)],
  }));
  const huge = { ...metaLead("7"), fullName: "Big Answers", answers };
  const result = await store.insertLeads([metaLead("6"), huge]);
  assert.equal(result.inserted.length, 2);
  assert.deepEqual(result.failed, []);
  const stored = (await store.getLeadByLeadgenId("7"))!;
  assert.equal(stored.fullName, "Big Answers");
  assert.equal(stored.answers.length, 100);
  assert.match(stored.answers[0].values[0], / \[truncated: \d+ more characters\]$/);
  assert.equal(stored.answersTruncated?.values, 100);
  assert.equal(stored.answersTruncated?.answersDropped, 0);
  const events = (await store.listTimeline(stored.id)).events.map((event) => event.event);
  assert.deepEqual(events, ["received", "answers shortened"]);
  const alerts = [];
  for await (const entry of kv.list({ prefix: ["alerts"] })) alerts.push(entry.value);
  assert.equal(alerts.length, 1);
  assert.match(
    JSON.stringify(alerts[0]),
    new RegExp(`Lead ${stored.id} \\(Big Answers, Meta lead 7\\)`),
  );
  assert.equal(await store.getChangeHead(), 2);
  kv.close();
});

Deno.test("[db] leads - updateLead records a change; null means no change", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv, { now: () => new Date("2025-05-05T00:00:00.000Z") });
  const lead = metaLead("1");
  await store.insertLeads([lead]);
  const updated = await store.updateLead(lead.id, (l) => ({ ...l, status: "contacted" }));
  assert.equal(updated?.status, "contacted");
  assert.equal(updated?.updatedAt, "2025-05-05T00:00:00.000Z");
  assert.equal((await store.getLead(lead.id))?.status, "contacted");
  assert.equal(await store.updateLead(lead.id, () => null), null);
  assert.equal(await store.getChangeHead(), 2);
  const { changes } = await store.listChangesSince(1);
  assert.deepEqual(changes.map((c) => [c.seq, c.kind, c.lead.status]), [[
    2,
    "updated",
    "contacted",
  ]]);
  await assert.rejects(
    store.updateLead("01JNOTALEAD0000000000000000", (l) => l),
    LeadNotFoundError,
  );
  await assert.rejects(
    store.updateLead(lead.id, (l) => ({ ...l, leadgenId: "2" })),
    /cannot change/,
  );
  kv.close();
});

Deno.test("[db] leads - concurrent updates from two processes all land", async () => {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/leads.sqlite`);
  const kvB = await Deno.openKv(`${dir}/leads.sqlite`);
  const storeA = createLeadStore(kvA);
  const storeB = createLeadStore(kvB);
  const lead = metaLead("1");
  await storeA.insertLeads([lead]);
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? storeA : storeB).updateLead(lead.id, (l) => ({
        ...l,
        timeline: [...l.timeline, { at: l.updatedAt, event: `note ${i}` }],
      }))),
  );
  assert.equal((await storeA.listTimeline(lead.id)).events.length, 21);
  assert.equal(await assertGapFreeLog(storeA), 21);
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[db] leads - listLeads pages newest createdTime first, moving with createdTime updates", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 7 }, (_, i) => metaLead(String(i + 1), 1_700_000_000 + i));
  await store.insertLeads(leads.toReversed());
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { leads: Lead[]; cursor: string | null } = await store.listLeads({
      limit: 3,
      cursor,
    });
    assert.ok(page.leads.length <= 3);
    seen.push(...page.leads.map((l) => l.leadgenId!));
    cursor = page.cursor;
  } while (cursor);
  assert.deepEqual(seen, ["7", "6", "5", "4", "3", "2", "1"]);
  await store.updateLead(leads[0].id, (l) => ({ ...l, createdTime: "2030-01-01T00:00:00.000Z" }));
  const first = await store.listLeads({ limit: 10 });
  assert.deepEqual(first.leads.map((l) => l.leadgenId), ["1", "7", "6", "5", "4", "3", "2"]);
  assert.equal(first.cursor, null);
  // A domain error (400 wherever it reaches the app), not a TypeError a route must translate.
  await assert.rejects(store.listLeads({ cursor: "garbage" }), InvalidCursorError);
  await assert.rejects(store.listLeadsOwnedBy([null], { cursor: "garbage" }), InvalidCursorError);
  kv.close();
});

Deno.test("[db] leads - listChangesSince pages by limit and reports expired records as a gap", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  await store.insertLeads([metaLead("1"), metaLead("2"), metaLead("3"), metaLead("4")]);
  const page = await store.listChangesSince(1, 2);
  assert.deepEqual(page.changes.map((c) => c.seq), [2, 3]);
  assert.equal(page.head, 4);
  assert.equal(page.gap, false);
  assert.deepEqual((await store.listChangesSince(4)).changes, []);
  await kv.delete(leadChangeKey(1)); // as if it expired
  await kv.delete(leadChangeKey(2));
  const behind = await store.listChangesSince(0);
  assert.equal(behind.gap, true);
  assert.deepEqual(behind.changes.map((c) => c.seq), [3, 4]);
  kv.close();
});
