import assert from "node:assert/strict";
import { leadByCreatedKey, leadKey } from "../../lib/leads/keys.ts";
import { changeLeadStatus, newManualLead, toLeadJson } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";
import { EMPTY_FILTER } from "../../lib/format/lead_filter.ts";
import {
  addDerivedWrites,
  contributionOf,
  derivedMutationsOf,
  FORM_QUESTION_NAME_MAX,
  FORM_QUESTIONS_MAX,
  FORM_QUESTIONS_MAX_BYTES,
  indexEntries,
} from "../../lib/leads/indexes.ts";
import { formQuestionsKey } from "../../lib/leads/dimensions.ts";
import { generateLeads } from "../_helpers/lead_generator.ts";
import { searchLeads } from "../../lib/leads/search.ts";
import { applyContribution, emptyBucket, type StatsBucket } from "../../lib/stats/buckets.ts";
import { statsHourKey, waitingCountKey } from "../../lib/stats/keys.ts";

Deno.test("[db] indexes - leads stored by an older version read as unowned with no activity, and are indexed once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const now = new Date();
  // As an older version stored it: none of the ownership or activity fields, no index entries.
  const {
    ownerId: _o,
    ownerName: _n,
    assignedAt: _a,
    routedAt: _r,
    callAttempts: _c,
    nextFollowUpAt: _f,
    lastActivityAt: _l,
    ...old
  } = newManualLead({ source: "phone", fullName: "Olde Lead", phone: "+15555550111" }, now);
  await kv.set(leadKey(old.id), { ...old, timeline: [] });
  await kv.set(leadByCreatedKey(Date.parse(old.createdTime), old.id), old.id);

  const json = toLeadJson((await store.getLead(old.id))!);
  assert.deepEqual(
    [json.ownerId, json.ownerName, json.callAttempts, json.nextFollowUpAt, json.lastActivityAt],
    [null, null, 0, null, null],
  );
  assert.equal(
    (await store.listLeadsOwnedBy([null])).leads.length,
    0,
    "not in the owner index yet",
  );
  const range = { from: now.getTime() - 60_000, to: now.getTime() + 60_000 };
  assert.equal((await readTeamStats(kv, range)).leads, 0);

  assert.equal(await store.indexStoredLeads(), 1);
  assert.deepEqual((await store.listLeadsOwnedBy([null])).leads.map((l) => l.id), [old.id]);
  assert.equal((await readTeamStats(kv, range)).leads, 1);
  assert.equal((await readWaitingNow(kv)).count, 1);
  assert.equal(await store.indexStoredLeads(), 0, "done once");

  // Later writes move it in the indexes rather than counting it twice.
  await store.updateLead(old.id, (lead) => changeLeadStatus(lead, "contacted", new Date()));
  const stats = await readTeamStats(kv, range);
  assert.deepEqual([stats.leads, stats.contacted], [1, 1]);
  assert.equal((await readWaitingNow(kv)).count, 0);
  kv.close();
});

Deno.test("[db] indexes - a lead counted in version 1 moves to version 2 once: its filter and search keys are added, it is not counted twice", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const now = new Date();
  const lead = {
    ...newManualLead({ source: "phone", fullName: "Vera Version", phone: "+15555550199" }, now),
    indexed: 1,
    timeline: [],
  };
  // As version 1 left it: its record, its view keys and its hourly count without the reports'.
  const op = kv.atomic().set(leadKey(lead.id), lead)
    .set(leadByCreatedKey(Date.parse(lead.createdTime), lead.id), lead.id);
  for (const entry of indexEntries(lead, 1).values()) op.set(entry.key, entry.value);
  const bucket = emptyBucket();
  const v1 = contributionOf(lead, 1);
  applyContribution(bucket, v1, 1);
  op.set(statsHourKey(v1.hourMs), bucket).set(waitingCountKey(), 1);
  await op.commit();
  const range = { from: now.getTime() - 60_000, to: now.getTime() + 60_000 };
  assert.equal((await searchLeads(kv, store, { ...EMPTY_FILTER, q: "vera" })).leads.length, 0);

  assert.equal(await store.indexStoredLeads(), 1);
  assert.deepEqual(
    (await searchLeads(kv, store, { ...EMPTY_FILTER, q: "5550199" })).leads.map((l) => l.id),
    [lead.id],
  );
  assert.deepEqual(
    (await searchLeads(kv, store, { ...EMPTY_FILTER, sources: ["phone"] })).leads.map((l) => l.id),
    [lead.id],
  );
  assert.equal((await readTeamStats(kv, range)).leads, 1, "counted once");
  assert.equal((await readWaitingNow(kv)).count, 1);
  const stored = (await kv.get<StatsBucket>(statsHourKey(v1.hourMs))).value!;
  assert.deepEqual(stored.sources, { phone: 1 }, "now in the reports' counts");
  assert.equal(await store.indexStoredLeads(), 0, "done once");
  kv.close();
});

Deno.test("[db] indexes - a new lead's derived writes are as many as derivedMutationsOf says", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (const lead of generateLeads(200, { seed: 12 })) {
      let mutations = 0;
      const op = kv.atomic();
      const counting = new Proxy(op, {
        get(target, name) {
          const value = Reflect.get(target, name);
          if (name === "set" || name === "delete") {
            return (...args: unknown[]) => {
              mutations++;
              (value as (...a: unknown[]) => unknown).apply(target, args);
              return counting;
            };
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      await addDerivedWrites(kv, counting, [{ before: null, after: { ...lead, indexed: 2 } }]);
      assert.equal(mutations, derivedMutationsOf(lead));
      assert.ok(mutations <= 36);
    }
  } finally {
    kv.close();
  }
});

Deno.test("[db] indexes - a form's remembered questions stay inside one KV value whatever its leads' answers are named", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  try {
    // Hand-entered answers named anything: 60 long multi-byte names a lead (34 KB of names), each
    // lead's different, and one name longer than any question.
    for (let i = 0; i < 5; i++) {
      const lead = newManualLead({ source: "phone", fullName: `Long Names ${i}` }, new Date());
      lead.answers = Array.from({ length: 60 }, (_, j) => ({
        name: `${i}-${j}-${"名".repeat(190)}`,
        values: ["x"],
      }));
      lead.answers.push({ name: "q".repeat(5_000), values: ["y"] });
      const result = await store.insertLeads([lead]);
      assert.equal(result.failed.length, 0, String(result.failed[0]?.error));
    }
    const questions = (await kv.get<string[]>(formQuestionsKey(null))).value!;
    const bytes = questions.reduce((sum, name) => sum + new TextEncoder().encode(name).length, 0);
    assert.ok(bytes <= FORM_QUESTIONS_MAX_BYTES, `${bytes} bytes of names`);
    assert.ok(questions.length >= 50 && questions.length <= FORM_QUESTIONS_MAX);
    assert.ok(questions.every((name) => name.length <= FORM_QUESTION_NAME_MAX));
  } finally {
    kv.close();
  }
});
