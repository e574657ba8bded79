import assert from "node:assert/strict";
import { leadKey } from "../../lib/leads/keys.ts";
import { changeLeadStatus, newManualLead } from "../../lib/leads/model.ts";
import { changeLeadOwner } from "../../lib/leads/ownership.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { median, percentile, readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";

const ANN = { id: "01J0000000000000000000ANN0", name: "Ann" };
const BOB = { id: "01J0000000000000000000BOB0", name: "Bob" };
const at = (hhmmss: string) => new Date(`2026-03-02T${hhmmss}Z`);

Deno.test("[stats] median and nearest-rank percentile", () => {
  assert.equal(median([]), null);
  assert.equal(median([5]), 5);
  assert.equal(median([1, 3]), 2);
  assert.equal(median([1, 2, 9]), 2);
  assert.equal(percentile([], 90), null);
  assert.equal(percentile([10, 20, 30, 40], 90), 40);
  assert.equal(percentile(Array.from({ length: 10 }, (_, i) => i + 1), 90), 9);
  assert.equal(percentile([7], 90), 7);
});

Deno.test("[stats] counts, medians, p90 and the 5-minute share match the hand-computed values", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  // [created, owner, first contact]
  const plan: [string, typeof ANN | null, string | null][] = [
    ["08:59:59", ANN, "09:00:30"], // before the range
    ["09:00:00", ANN, "09:02:00"], // 2 min
    ["09:10:00", ANN, "09:20:00"], // 10 min
    ["09:30:00", BOB, "09:34:00"], // 4 min
    ["10:05:00", BOB, "10:05:30"], // 30 s
    ["10:10:00", null, null], // waiting
  ];
  const ids: string[] = [];
  for (const [created, owner, contact] of plan) {
    const lead = newManualLead({
      source: "phone",
      fullName: `Lead ${created}`,
      phone: "+15555550100",
      createdTime: at(created).toISOString(),
    }, at(created));
    await store.insertLeads([lead]);
    ids.push(lead.id);
    if (owner) {
      await store.updateLead(
        lead.id,
        (l) => changeLeadOwner(l, owner, at(created), { event: "claimed" }),
      );
    }
    if (contact) {
      await store.updateLead(lead.id, (l) => changeLeadStatus(l, "contacted", at(contact)));
    }
  }
  const names = new Map([[ANN.id, "Ann"], [BOB.id, "Bob"]]);
  const range = { from: at("09:00:00").getTime(), to: at("11:00:00").getTime() };
  const stats = await readTeamStats(kv, range, names);
  assert.deepEqual(stats, {
    from: "2026-03-02T09:00:00.000Z",
    to: "2026-03-02T11:00:00.000Z",
    leads: 5,
    contacted: 4,
    // 30 s, 2 min, 4 min, 10 min
    medianFirstContactMs: (120_000 + 240_000) / 2,
    p90FirstContactMs: 600_000,
    within5MinShare: 3 / 5,
    exact: true,
    byOwner: [
      {
        ownerId: ANN.id,
        name: "Ann",
        leads: 2,
        contacted: 2,
        medianFirstContactMs: 360_000,
        p90FirstContactMs: 600_000,
        within5MinShare: 0.5,
      },
      {
        ownerId: BOB.id,
        name: "Bob",
        leads: 2,
        contacted: 2,
        medianFirstContactMs: 135_000,
        p90FirstContactMs: 240_000,
        within5MinShare: 1,
      },
      {
        ownerId: null,
        name: "Unassigned",
        leads: 1,
        contacted: 0,
        medianFirstContactMs: null,
        p90FirstContactMs: null,
        within5MinShare: 0,
      },
    ],
  });
  assert.deepEqual(await readWaitingNow(kv), {
    count: 1,
    oldestCreatedTime: "2026-03-02T10:10:00.000Z",
    oldestLeadId: ids[5],
  });

  // A lead handed to another owner takes its numbers along; the team's stay the same.
  await store.updateLead(
    ids[2],
    (l) => changeLeadOwner(l, BOB, at("11:00:00"), { event: "assigned" }),
  );
  const moved = await readTeamStats(kv, range, names);
  assert.equal(moved.medianFirstContactMs, 180_000);
  assert.deepEqual(moved.byOwner.map((o) => [o.name, o.leads, o.medianFirstContactMs]), [
    ["Ann", 1, 120_000],
    ["Bob", 3, 240_000],
    ["Unassigned", 1, null],
  ]);
  // Contacting the waiting lead ends its wait.
  await store.updateLead(ids[5], (l) => changeLeadStatus(l, "contacted", at("10:30:00")));
  assert.equal((await readWaitingNow(kv)).count, 0);
  assert.equal((await readTeamStats(kv, range, names)).contacted, 5);

  // The figures come from the aggregates, not the leads: removing a lead's record changes nothing.
  const before = await readTeamStats(kv, range, names);
  await kv.delete(leadKey(ids[1]));
  assert.deepEqual(await readTeamStats(kv, range, names), before);
  await assert.rejects(() => readTeamStats(kv, { from: range.to, to: range.from }), /before/);
  kv.close();
});
