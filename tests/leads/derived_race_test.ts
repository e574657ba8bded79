// The derived counters (waiting count, hourly statistics) under writers that race: every commit
// that read-modify-writes one checks it, so no update is lost, whatever else the commit checks.
import assert from "node:assert/strict";
import { addDerivedWrites } from "../../lib/leads/indexes.ts";
import { changeLeadStatus, type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { hourStart } from "../../lib/stats/buckets.ts";
import { statsHourKey, waitingCountKey } from "../../lib/stats/keys.ts";
import type { StatsBucket } from "../../lib/stats/buckets.ts";

const created = new Date("2025-03-04T05:06:07.000Z");

function metaLead(leadgenId: string): Lead {
  return newMetaLead({
    leadgenId,
    pageId: "111",
    formId: "222",
    adId: null,
    adgroupId: null,
    createdTime: Math.floor(created.getTime() / 1000),
  }, created);
}

async function counters(kv: Deno.Kv) {
  const [waiting, bucket] = await kv.getMany<[number, StatsBucket]>([
    waitingCountKey(),
    statsHourKey(hourStart(created.getTime())),
  ]);
  const owners = Object.values(bucket.value?.owners ?? {});
  return {
    waiting: waiting.value ?? 0,
    leads: owners.reduce((sum, owner) => sum + owner.leads, 0),
    contacted: owners.reduce((sum, owner) => sum + owner.contacted, 0),
  };
}

Deno.test("[db] derived writes - two commits that read the same counters cannot both land", async () => {
  const kv = await Deno.openKv(":memory:");
  // Two writers read the waiting count and the hour's bucket at the same moment...
  const opA = kv.atomic();
  await addDerivedWrites(kv, opA, [{ before: null, after: metaLead("810000000000001") }]);
  const opB = kv.atomic();
  await addDerivedWrites(kv, opB, [{ before: null, after: metaLead("810000000000002") }]);
  // ... and each writes back what it read plus one: the second would overwrite the first.
  assert.equal((await opA.commit()).ok, true);
  assert.equal((await opB.commit()).ok, false, "the counters it read have changed");
  assert.deepEqual(await counters(kv), { waiting: 1, leads: 1, contacted: 0 });
  // Tried again with fresh reads, it counts on top of the first.
  const retry = kv.atomic();
  await addDerivedWrites(kv, retry, [{ before: null, after: metaLead("810000000000002") }]);
  assert.equal((await retry.commit()).ok, true);
  assert.deepEqual(await counters(kv), { waiting: 2, leads: 2, contacted: 0 });
  kv.close();
});

Deno.test("[db] derived writes - two processes inserting and updating at once keep the counters exact", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/leads.kv`;
  const kvA = await Deno.openKv(path);
  const kvB = await Deno.openKv(path);
  const storeA = createLeadStore(kvA);
  const storeB = createLeadStore(kvB);
  const leadsA = Array.from({ length: 30 }, (_, i) => metaLead(`82000000000${1000 + i}`));
  const leadsB = Array.from({ length: 30 }, (_, i) => metaLead(`83000000000${1000 + i}`));
  // Each process stores its leads as concurrent deliveries (group commits racing the other's).
  await Promise.all([
    ...leadsA.map((lead) => storeA.insertLeads([lead])),
    ...leadsB.map((lead) => storeB.insertLeads([lead])),
  ]);
  assert.deepEqual(await counters(kvA), { waiting: 60, leads: 60, contacted: 0 });

  // Both contact leads at once; B also contacts leads A wrote last, so A's remembered copies of
  // them (what its updates would check instead of reading) are stale, and A then writes them too.
  const at = new Date(created.getTime() + 60_000);
  const contact = (lead: Lead) => changeLeadStatus(lead, "contacted", at);
  await Promise.all([
    ...leadsA.slice(0, 10).map((lead) => storeA.updateLead(lead.id, contact)),
    ...leadsA.slice(10, 20).map((lead) => storeB.updateLead(lead.id, contact)),
    ...leadsB.slice(0, 10).map((lead) => storeB.updateLead(lead.id, contact)),
  ]);
  await Promise.all(
    leadsA.slice(10, 20).map((lead) =>
      storeA.updateLead(lead.id, (current) => ({ ...current, notes: "called back" }))
    ),
  );
  assert.deepEqual(await counters(kvA), { waiting: 30, leads: 60, contacted: 30 });

  // And what the counters say is what the leads say.
  const stored = [...(await storeA.getLeads([...leadsA, ...leadsB].map((lead) => lead.id)))];
  assert.equal(stored.filter((lead) => lead?.status === "new").length, 30);
  assert.equal(stored.filter((lead) => lead?.notes === "called back").length, 10);
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});
