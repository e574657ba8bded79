// Group commit in the lead store: concurrent inserts and updates share commits, repeats need no
// read, extra records ride in the leads' commit, and a failure in a shared commit stays its own.
import assert from "node:assert/strict";
import { testMetaLead } from "../_helpers/leads.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { createLeadStore, LeadNotFoundError } from "../../lib/leads/store.ts";

const now = new Date("2025-03-04T05:06:07.000Z");

function metaLead(leadgenId: string): Lead {
  return testMetaLead({ leadgenId, adId: null, receivedAt: now });
}

/** A KV that counts its commits and the keys it reads under each prefix. */
function countingKv(real: Deno.Kv) {
  const counts = { commits: 0, reads: new Map<string, number>() };
  const countRead = (key: Deno.KvKey) =>
    counts.reads.set(String(key[0]), (counts.reads.get(String(key[0])) ?? 0) + 1);
  const kv = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop === "atomic") {
        return () => {
          const op = target.atomic();
          const commit = op.commit.bind(op);
          op.commit = () => {
            counts.commits++;
            return commit();
          };
          return op;
        };
      }
      if (prop === "get") {
        return (key: Deno.KvKey, ...rest: unknown[]) => {
          countRead(key);
          return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      if (prop === "getMany") {
        return (keys: Deno.KvKey[], ...rest: unknown[]) => {
          keys.forEach(countRead);
          return (value as (...a: unknown[]) => unknown).call(target, keys, ...rest);
        };
      }
      return value.bind(target);
    },
  });
  return { kv, counts };
}

Deno.test("[db] group commit - 20 concurrent single-lead inserts share commits and read nothing first", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, counts } = countingKv(real);
  const store = createLeadStore(kv);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => store.insertLeads([metaLead(`70000000000000${i}`)])),
  );
  assert.deepEqual(results.map((r) => r.inserted.length), Array(20).fill(1));
  assert.ok(counts.commits <= 2, `${counts.commits} commits for 20 concurrent leads`);
  assert.equal(counts.reads.get("leads_by_leadgen") ?? 0, 0, "no dedupe read for new leads");
  assert.equal(await store.getChangeHead(), 20);
  real.close();
});

Deno.test("[db] group commit - a repeat this process stored is a duplicate without a read", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, counts } = countingKv(real);
  const store = createLeadStore(kv);
  await store.insertLeads([metaLead("700000000000001")]);
  const commits = counts.commits;
  const again = await store.insertLeads([metaLead("700000000000001")]);
  assert.equal(again.duplicates.length, 1);
  assert.equal(counts.commits, commits, "nothing written for a known repeat");
  assert.equal(counts.reads.get("leads_by_leadgen") ?? 0, 0);
  real.close();
});

Deno.test("[db] group commit - a repeat stored by another process fails the shared commit once, then the rest land", async () => {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/kv.sqlite`);
  const kvB = await Deno.openKv(`${dir}/kv.sqlite`);
  const storeA = createLeadStore(kvA);
  const storeB = createLeadStore(kvB);
  await storeB.insertLeads([metaLead("700000000000002")]);
  const [first, second] = await Promise.all([
    storeA.insertLeads([metaLead("700000000000002"), metaLead("700000000000003")]),
    storeA.insertLeads([metaLead("700000000000004")]),
  ]);
  assert.deepEqual(first.duplicates.map((l) => l.leadgenId), ["700000000000002"]);
  assert.deepEqual(first.inserted.map((l) => l.leadgenId), ["700000000000003"]);
  assert.deepEqual(second.inserted.map((l) => l.leadgenId), ["700000000000004"]);
  assert.equal(await storeA.getChangeHead(), 3, "one seq per lead, across both processes");
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[db] group commit - extra records land in the leads' commit, or alone when none is new", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const committed: string[] = [];
  const lead = metaLead("700000000000005");
  const result = await store.insertLeads([lead], {
    extra: { write: (op) => op.set(["extra", "a"], "a") },
    onCommitted: (stored, versionstamp) => committed.push(`${stored.id} ${versionstamp}`),
  });
  assert.equal(result.inserted.length, 1);
  const [extra, stored] = await kv.getMany([["extra", "a"], ["leads", lead.id]]);
  assert.equal(extra.value, "a");
  assert.equal(extra.versionstamp, stored.versionstamp, "one commit");
  assert.deepEqual(committed, [`${lead.id} ${stored.versionstamp}`]);
  const repeat = await store.insertLeads([metaLead("700000000000005")], {
    extra: { write: (op) => op.set(["extra", "b"], "b") },
  });
  assert.equal(repeat.duplicates.length, 1);
  assert.equal((await kv.get(["extra", "b"])).value, "b", "written with no lead to carry it");
  kv.close();
});

Deno.test("[db] group commit - 20 concurrent updates of distinct leads share commits; each gets its own result", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, counts } = countingKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 20 }, (_, i) => metaLead(`71000000000000${i}`));
  await store.insertLeads(leads);
  const commits = counts.commits;
  const updated = await Promise.all(
    leads.map((lead, i) => store.updateLead(lead.id, (l) => ({ ...l, fullName: `Person ${i}` }))),
  );
  assert.deepEqual(updated.map((l) => l?.fullName), leads.map((_, i) => `Person ${i}`));
  assert.ok(counts.commits - commits <= 3, `${counts.commits - commits} commits for 20 updates`);
  for (const [i, lead] of leads.entries()) {
    assert.equal((await store.getLead(lead.id))?.fullName, `Person ${i}`);
  }
  const changes = (await store.listChangesSince(20)).changes;
  assert.deepEqual(changes.map((c) => c.seq), Array.from({ length: 20 }, (_, i) => 21 + i));
  assert.ok(changes.every((c) => c.kind === "updated"));
  real.close();
});

Deno.test("[db] group commit - in a shared round, a failing update fails alone and a second update of one lead sees the first", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const [a, b, c] = ["720000000000001", "720000000000002", "720000000000003"].map(metaLead);
  await store.insertLeads([a, b, c]);
  const outcomes = await Promise.allSettled([
    store.updateLead(a.id, (l) => ({ ...l, fullName: "A" })),
    store.updateLead(b.id, () => {
      throw new Error("this mutation is broken");
    }),
    store.updateLead("01ARZ3NDEKTSV4RRFFQ69G5FAV", (l) => l),
    store.updateLead(c.id, (l) => ({ ...l, fullName: "C1" })),
    store.updateLead(c.id, (l) => ({ ...l, fullName: `${l.fullName}+C2` })),
    store.updateLead(a.id, () => null),
  ]);
  assert.equal(outcomes[0].status, "fulfilled");
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /broken/);
  assert.ok((outcomes[2] as PromiseRejectedResult).reason instanceof LeadNotFoundError);
  assert.equal((outcomes[5] as PromiseFulfilledResult<Lead | null>).value, null);
  assert.equal((await store.getLead(a.id))?.fullName, "A");
  assert.equal((await store.getLead(b.id))?.fullName, null);
  assert.equal((await store.getLead(c.id))?.fullName, "C1+C2");
  kv.close();
});

Deno.test("[db] group commit - a shared update commit whose onCommit check fails falls back: the others land", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const leads = ["730000000000001", "730000000000002", "730000000000003"].map(metaLead);
  await store.insertLeads(leads);
  await kv.set(["guard"], 1);
  const outcomes = await Promise.allSettled(
    leads.map((lead, i) =>
      store.updateLead(lead.id, (l) => ({ ...l, fullName: `N${i}` }), {
        // The second update's commit requires a key that is not there: it can never commit.
        onCommit: i === 1 ? (op) => op.check({ key: ["guard"], versionstamp: null }) : undefined,
      })
    ),
  );
  assert.equal(outcomes[0].status, "fulfilled");
  assert.equal(outcomes[1].status, "rejected");
  assert.equal(outcomes[2].status, "fulfilled");
  assert.equal((await store.getLead(leads[0].id))?.fullName, "N0");
  assert.equal((await store.getLead(leads[1].id))?.fullName, null);
  assert.equal((await store.getLead(leads[2].id))?.fullName, "N2");
  kv.close();
});

Deno.test("[db] group commit - the change log of this process's own writes is read without reading the leads", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, counts } = countingKv(real);
  const store = createLeadStore(kv);
  const leads = ["740000000000001", "740000000000002", "740000000000003"].map(metaLead);
  await store.insertLeads(leads);
  await store.updateLead(leads[1].id, (l) => ({ ...l, fullName: "Second" }));
  counts.reads.clear();
  const page = await store.listChangesSince(1);
  assert.equal(counts.reads.get("leads") ?? 0, 0, "no lead read");
  // The same answer as a reader that has nothing in memory.
  const fresh = await createLeadStore(real).listChangesSince(1);
  assert.deepEqual(page, fresh);
  assert.deepEqual(page.changes.map((c) => [c.seq, c.kind, c.lead.fullName]), [
    // Each change carries the lead as it is now.
    [2, "created", "Second"],
    [3, "created", null],
    [4, "updated", "Second"],
  ]);
  real.close();
});

Deno.test("[db] group commit - after another process wrote, the change log is read from KV", async () => {
  const dir = await Deno.makeTempDir();
  const kvA = await Deno.openKv(`${dir}/kv.sqlite`);
  const kvB = await Deno.openKv(`${dir}/kv.sqlite`);
  const storeA = createLeadStore(kvA);
  const storeB = createLeadStore(kvB);
  const [a, b] = ["750000000000001", "750000000000002"].map(metaLead);
  await storeA.insertLeads([a]);
  await storeB.insertLeads([b]);
  await storeB.updateLead(b.id, (l) => ({ ...l, fullName: "From B" }));
  const page = await storeA.listChangesSince(0);
  // B's writes are read from KV, leads as they are now.
  assert.deepEqual(page.changes.map((c) => [c.seq, c.lead.id, c.lead.fullName]), [
    [1, a.id, null],
    [2, b.id, "From B"],
    [3, b.id, "From B"],
  ]);
  // A's next write goes after B's: one log, no gap.
  await storeA.updateLead(a.id, (l) => ({ ...l, fullName: "From A" }));
  const all = await storeB.listChangesSince(0);
  assert.deepEqual(all.changes.map((c) => c.seq), [1, 2, 3, 4]);
  assert.equal(all.changes[3].lead.fullName, "From A");
  kvA.close();
  kvB.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("[db] group commit - updates from the remembered leads (no read) move their index keys and counts as read ones would", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, counts } = countingKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 10 }, (_, i) => metaLead(`72000000000000${i}`));
  await store.insertLeads(leads);
  assert.equal((await store.listLeadsOwnedBy([null])).leads.length, 10);
  counts.reads.clear();
  // Claimed at once, as grouped updates of leads this process wrote last: none is read first.
  await Promise.all(
    leads.slice(0, 6).map((lead) =>
      store.updateLead(lead.id, (current) => ({
        ...current,
        ownerId: "agent-1",
        ownerName: "Agent One",
        assignedAt: now.toISOString(),
      }))
    ),
  );
  assert.equal(counts.reads.get("leads") ?? 0, 0, "no lead read before its update");
  // The lead as it was (with the marker saying it is counted) is what the index keys move from.
  assert.equal((await store.listLeadsOwnedBy([null])).leads.length, 4, "no stale unowned keys");
  assert.equal((await store.listLeadsOwnedBy(["agent-1"])).leads.length, 6);
  let unownedWaiting = 0;
  for await (const _ of real.list({ prefix: ["leads_unowned_waiting"] })) unownedWaiting++;
  assert.equal(unownedWaiting, 4);
  assert.equal((await real.get<number>(["lead_stats_waiting"])).value, 10, "still waiting");
  real.close();
});

Deno.test("[db] group commit - an extra that requires its leads is left out when one cannot be stored, and the commit still ends", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const bad = metaLead("700000000000031");
  const good = metaLead("700000000000032");
  // A check no commit can pass: this lead can never be stored.
  const poison = (op: Deno.AtomicOperation, lead: Lead) => {
    if (lead.id === bad.id) op.check({ key: ["never"], versionstamp: "00000000000000010000" });
  };
  const [failing, passing] = await Promise.all([
    store.insertLeads([bad], {
      onCommit: poison,
      extra: { write: (op) => op.set(["extra", "bad"], 1), requiresLeads: true },
    }),
    store.insertLeads([good], {
      extra: { write: (op) => op.set(["extra", "good"], 1), requiresLeads: true },
    }),
  ]);
  assert.equal(failing.failed.length, 1);
  assert.match(failing.extraError?.message ?? "", /could not be stored/);
  assert.equal(passing.inserted.length, 1);
  assert.equal(passing.extraError, undefined);
  const [badExtra, goodExtra, goodLead] = await kv.getMany([
    ["extra", "bad"],
    ["extra", "good"],
    ["leads", good.id],
  ]);
  assert.equal(badExtra.versionstamp, null, "not written: its lead is not stored");
  assert.equal(goodExtra.versionstamp, goodLead.versionstamp, "in its lead's commit");
  // An extra that does not require its leads is still written beside a lead that fails.
  const alone = await store.insertLeads([metaLead("700000000000033")], {
    onCommit: (op) => op.check({ key: ["never"], versionstamp: "00000000000000010000" }),
    extra: { write: (op) => op.set(["extra", "plain"], 1) },
  });
  assert.equal(alone.failed.length, 1);
  assert.equal((await kv.get(["extra", "plain"])).value, 1);
  kv.close();
});
