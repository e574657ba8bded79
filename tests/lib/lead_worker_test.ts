import assert from "node:assert/strict";
import { createLeadWorker, leadBackfillKey } from "../../lib/lead_worker.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";
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
