// Group commits against KV's per-commit limits: a commit takes leads while their writes (counted
// from the writes themselves: indexes, timeline, jobs, counters) fit, so leads that bring many
// writes (e.g. search index keys) fill commits to the limit and never get one refused.
import assert from "node:assert/strict";
import { isKvLimitError } from "../../lib/kv_commit.ts";
import { KV_COMMIT_LIMITS } from "../../lib/kv_writes.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { createLeadStore, type OnLeadCommit } from "../../lib/leads/store.ts";
import { kvWatchingAtomics } from "../_helpers/kv_spy.ts";

const now = new Date("2025-03-04T05:06:07.000Z");

function metaLead(leadgenId: string): Lead {
  return testMetaLead({ leadgenId, adId: null, receivedAt: now });
}

interface CommitSeen {
  checks: number;
  mutations: number;
  ok: boolean | "refused";
}

/** A KV whose commits are counted (checks and mutations added) and whose refusals are kept. */
function watchedKv(real: Deno.Kv) {
  const commits: CommitSeen[] = [];
  const kv = kvWatchingAtomics(real, (op) => {
    const seen: CommitSeen = { checks: 0, mutations: 0, ok: false };
    for (const name of ["set", "delete", "sum"] as const) {
      const original = op[name].bind(op) as (...args: unknown[]) => Deno.AtomicOperation;
      (op as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        seen.mutations++;
        original(...args);
        return op;
      };
    }
    const check = op.check.bind(op);
    op.check = (...checks: Deno.AtomicCheck[]) => {
      seen.checks += checks.length;
      check(...checks);
      return op;
    };
    const commit = op.commit.bind(op);
    op.commit = async () => {
      commits.push(seen);
      try {
        const res = await commit();
        seen.ok = res.ok;
        return res;
      } catch (error) {
        if (isKvLimitError(error)) seen.ok = "refused";
        throw error;
      }
    };
  });
  return { kv, commits };
}

/** Stands in for issue 11's search index: `count` keys of about `keyBytes` bytes per lead. */
function searchKeys(count: number, keyBytes: number, checks = 0): OnLeadCommit {
  return (op, lead) => {
    for (let i = 0; i < count; i++) {
      op.set(["search_test", `${lead.id}:${i}`.padEnd(keyBytes - 20, "x")], lead.id);
    }
    for (let i = 0; i < checks; i++) {
      op.check({ key: ["search_test_guard", lead.id, i], versionstamp: null });
    }
  };
}

Deno.test("[db] commit limits - leads with 60 extra keys each fill commits up to 1,000 mutations, none refused", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, commits } = watchedKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 100 }, (_, i) => metaLead(`900000000000${100 + i}`));
  const result = await store.insertLeads(leads, { onCommit: searchKeys(60, 30) });
  assert.equal(result.inserted.length, 100);
  assert.deepEqual(commits.filter((c) => c.ok !== true), [], "no commit refused or retried");
  for (const commit of commits) assert.ok(commit.mutations <= KV_COMMIT_LIMITS.mutations);
  // About 70 mutations a lead: 14 leads a commit, so 8 commits; a guess per lead (the constant
  // before) sent 40 and had KV refuse them.
  const fullest = Math.max(...commits.map((c) => c.mutations));
  assert.ok(fullest > KV_COMMIT_LIMITS.mutations - 80, `fullest commit ${fullest} mutations`);
  assert.ok(commits.length <= 8, `${commits.length} commits`);
  real.close();
});

Deno.test("[db] commit limits - long index keys fill commits up to KV's 80 KiB of keys, none refused", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, commits } = watchedKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 60 }, (_, i) => metaLead(`910000000000${100 + i}`));
  // 20 keys of about 500 bytes: 10 KB of keys a lead, so about 8 leads a commit.
  const result = await store.insertLeads(leads, { onCommit: searchKeys(20, 500) });
  assert.equal(result.inserted.length, 60);
  assert.deepEqual(commits.filter((c) => c.ok !== true), [], "no commit refused or retried");
  assert.ok(commits.length <= 9, `${commits.length} commits`);
  real.close();
});

Deno.test("[db] commit limits - checks count too: 5 checks a lead make commits of about 19 leads", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, commits } = watchedKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 60 }, (_, i) => metaLead(`920000000000${100 + i}`));
  const result = await store.insertLeads(leads, { onCommit: searchKeys(0, 0, 4) });
  assert.equal(result.inserted.length, 60);
  assert.deepEqual(commits.filter((c) => c.ok !== true), [], "no commit refused or retried");
  const fullest = Math.max(...commits.map((c) => c.checks));
  assert.ok(fullest <= KV_COMMIT_LIMITS.checks && fullest > 90, `fullest commit ${fullest} checks`);
  real.close();
});

Deno.test("[db] commit limits - concurrent updates with 60 extra keys each share commits within the limits", async () => {
  const real = await Deno.openKv(":memory:");
  const { kv, commits } = watchedKv(real);
  const store = createLeadStore(kv);
  const leads = Array.from({ length: 40 }, (_, i) => metaLead(`930000000000${100 + i}`));
  await store.insertLeads(leads);
  commits.length = 0;
  const updated = await Promise.all(
    leads.map((lead) =>
      store.updateLead(lead.id, (current) => ({ ...current, notes: "seen" }), {
        onCommit: searchKeys(60, 30),
      })
    ),
  );
  assert.equal(updated.filter((lead) => lead?.notes === "seen").length, 40);
  assert.deepEqual(commits.filter((c) => c.ok !== true), [], "no shared commit failed");
  for (const commit of commits) assert.ok(commit.mutations <= KV_COMMIT_LIMITS.mutations);
  // The first update runs alone (the writer was idle); the other 39 share about 3 commits
  // rather than falling back to 39 of their own.
  assert.ok(commits.length <= 5, `${commits.length} commits`);
  real.close();
});
