import assert from "node:assert/strict";
import { leadByCreatedKey, leadKey } from "../../lib/leads/keys.ts";
import { changeLeadStatus, newManualLead, toLeadJson } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";

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
