import assert from "node:assert/strict";
import { createLeadWorker, leadBackfillKey } from "../../lib/lead_worker.ts";
import { leadFollowerKey } from "../../lib/leads/lead_follower.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";
import { generateLeads } from "../_helpers/lead_generator.ts";
import { waitFor } from "../_helpers/wait.ts";

Deno.test("[lead worker] the backfill of derived records runs once per KV, in the background at start", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let runs = 0;
  const make = () =>
    createLeadWorker({
      kv,
      store,
      log: createLogger({ level: "silent" }),
      defaultCountry: null,
      intervalMs: 60_000,
      backfill: {
        name: "test_backfill",
        run: () => {
          runs++;
          return Promise.resolve();
        },
      },
    });
  try {
    const first = make();
    first.start();
    await waitFor(
      async () => (await kv.get(leadBackfillKey("test_backfill"))).value === true,
      "the marker",
    );
    await first.stop();
    assert.equal(runs, 1);
    const second = make();
    second.start();
    await second.stop();
    assert.equal(runs, 1, "a later start finds the marker and leaves it be");
  } finally {
    kv.close();
  }
});

Deno.test("[lead worker] a start on a KV that a running server kept up to date reads no lead and no change record", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const seeding = createLeadStore(kv);
    const inserted = await seeding.insertLeads(generateLeads(300, { seed: 4 }));
    assert.equal(inserted.failed.length, 0);
    // As a server that has been running leaves the KV: indexed, followers at the head, backfill done.
    await seeding.indexStoredLeads();
    const head = await seeding.getChangeHead();
    for (const name of ["contact_index", "meta_repeat_submissions"]) {
      await kv.set(leadFollowerKey(name), head);
    }
    await kv.set(leadBackfillKey("test_backfill"), true);

    // Every listing of the leads or the change log the new worker makes.
    const scans: string[] = [];
    const counted = new Proxy(kv, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (name !== "list") return typeof value === "function" ? value.bind(target) : value;
        return (selector: Deno.KvListSelector, options?: Deno.KvListOptions) => {
          const from = "prefix" in selector && selector.prefix.length > 0
            ? selector.prefix
            : "start" in selector
            ? selector.start
            : [];
          if (from[0] === "leads" || from[0] === "lead_changes") scans.push(JSON.stringify(from));
          return target.list(selector, options);
        };
      },
    });
    const worker = createLeadWorker({
      kv: counted,
      store: createLeadStore(counted),
      log: createLogger({ level: "silent" }),
      defaultCountry: null,
      intervalMs: 60_000,
      backfill: { name: "test_backfill", run: () => Promise.reject(new Error("ran again")) },
    });
    worker.start();
    await worker.stop();
    assert.deepEqual(scans, [], "nothing read every lead or change at start");
  } finally {
    kv.close();
  }
});
