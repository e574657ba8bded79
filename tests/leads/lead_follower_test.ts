// Following the lead change log: a follower's position is read once per process and saved with a
// check against what it last saw, and two processes following one KV still visit every change.

import assert from "node:assert/strict";
import {
  catchUpLeadFollower,
  type LeadFollower,
  leadFollowerKey,
} from "../../lib/leads/lead_follower.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";

/** `kv` with its reads of follower positions counted. */
function countingPositionReads(kv: Deno.Kv): { kv: Deno.Kv; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(kv, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (name !== "get") return typeof value === "function" ? value.bind(target) : value;
      return (key: Deno.KvKey, options?: { consistency?: Deno.KvConsistencyLevel }) => {
        if (key[0] === leadFollowerKey("x")[0]) reads++;
        return target.get(key, options);
      };
    },
  });
  return { kv: counted, reads: () => reads };
}

function recording(seen: string[]): LeadFollower {
  return {
    visit(leads: Lead[]) {
      seen.push(...leads.map((lead) => lead.id));
      return Promise.resolve();
    },
    rebuild: () => Promise.resolve(),
  };
}

Deno.test("[lead follower] a process reads its position once, then saves it without reading", async () => {
  const real = await Deno.openKv(":memory:");
  try {
    const { kv, reads } = countingPositionReads(real);
    const store = createLeadStore(kv);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      await store.insertLeads([testMetaLead()]);
      const result = await catchUpLeadFollower(kv, store, "counted", recording(seen));
      assert.equal(result.seq, i + 1);
    }
    assert.equal(seen.length, 5, "each change visited once");
    assert.equal(reads(), 1, "the position was read at the first catch-up only");
    assert.equal((await real.get<number>(leadFollowerKey("counted"))).value, 5);
  } finally {
    real.close();
  }
});

Deno.test("[lead follower] two processes on one KV: each change is visited, the stored position only moves on", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const a = await Deno.openKv(path);
  const b = await Deno.openKv(path);
  try {
    const storeA = createLeadStore(a);
    const storeB = createLeadStore(b);
    const seenA: string[] = [];
    const seenB: string[] = [];
    await storeA.insertLeads([testMetaLead(), testMetaLead(), testMetaLead()]);
    assert.equal((await catchUpLeadFollower(a, storeA, "shared", recording(seenA))).seq, 3);
    await storeB.insertLeads([testMetaLead(), testMetaLead()]);
    // B has never read the position: it reads A's 3 and visits the two new changes.
    assert.equal((await catchUpLeadFollower(b, storeB, "shared", recording(seenB))).seq, 5);
    assert.equal(seenB.length, 2);
    await storeB.insertLeads([testMetaLead()]);
    assert.equal((await catchUpLeadFollower(b, storeB, "shared", recording(seenB))).seq, 6);
    // A still remembers 3: it visits 4 to 6 again (visits are idempotent), and its save, whose
    // check fails against B's 6, reads the key and leaves it at 6.
    const result = await catchUpLeadFollower(a, storeA, "shared", recording(seenA));
    assert.equal(result.seq, 6);
    assert.equal(seenA.length, 6);
    assert.equal((await a.get<number>(leadFollowerKey("shared"))).value, 6);
    // And A knows it now: the next change is all it visits.
    await storeA.insertLeads([testMetaLead()]);
    await catchUpLeadFollower(a, storeA, "shared", recording(seenA));
    assert.equal(seenA.length, 7);
  } finally {
    a.close();
    b.close();
    await Deno.remove(path);
  }
});
