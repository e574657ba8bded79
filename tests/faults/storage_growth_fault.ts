// Fault suite: storage growth. 100,000 leads come in through the webhook path on a KV file; the
// change records and raw deliveries written with them expire (here after seconds instead of the
// default week) while the leads stay; the KV file's size is reported.
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { COMPLETED_IN_COMMIT, createJobQueue } from "../../lib/jobs/queue.ts";
import { FETCH_LEAD_DETAILS } from "../../lib/leads/fetch_details.ts";
import { ingestWebhook } from "../../lib/leads/ingest.ts";
import { LEADS_BY_CREATED_PREFIX } from "../../lib/leads/keys.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";
import { countKeys, pool, scaled, until } from "./_helpers.ts";

const SECRET = "storage-suite-secret";

/** The KV file and its write-ahead log, in MiB, as text. */
async function fileMib(path: string): Promise<string> {
  const mib = async (suffix: string) =>
    Math.round(await Deno.stat(path + suffix).then((s) => s.size, () => 0) / 1024 / 1024 * 10) /
    10;
  return `${await mib("")} MiB (+ ${await mib("-wal")} MiB write-ahead log)`;
}

Deno.test("[faults] storage growth: change records and raw deliveries expire, leads stay; KV size after 100,000 leads", async () => {
  const count = scaled(100_000);
  const retentionMs = 2_000;
  const dir = await Deno.makeTempDir({ prefix: "leadline-storage-suite-" });
  const kvPath = `${dir}/leadline.kv`;
  const kv = await Deno.openKv(kvPath);
  const leads = createLeadStore(kv, { changeRetentionMs: retentionMs });
  const jobs = createJobQueue(kv, { log: { warn() {}, error() {} } });
  // The details fetch is not what this suite is about: each job just completes.
  jobs.register(FETCH_LEAD_DETAILS, (_payload, ctx) => {
    const op = kv.atomic();
    ctx.complete!(op);
    return op.commit().then(() => COMPLETED_IN_COMMIT);
  });
  const deps = {
    kv,
    leads,
    jobs,
    appSecret: SECRET,
    log: createLogger({ level: "silent" }),
    deliveryRetentionMs: retentionMs,
  };
  try {
    const started = performance.now();
    await pool(count, 32, async (i) => {
      const id = String(100_000_000_000_000 + i);
      const body = new TextEncoder().encode(JSON.stringify({
        object: "page",
        entry: [{
          id: "1111111111",
          time: 1764336000,
          changes: [{
            field: "leadgen",
            value: {
              leadgen_id: id,
              page_id: "1111111111",
              form_id: "2222",
              created_time: 1764336000,
            },
          }],
        }],
      }));
      const result = await ingestWebhook(deps, body, await signBody(SECRET, body));
      if (result.outcome !== "accepted") throw new Error(`delivery ${i}: ${result.outcome}`);
    });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    await until(async () => (await countKeys(kv, ["jobs"])) === 0, "every job to finish");
    const sizeFull = await fileMib(kvPath);
    assert.equal(await countKeys(kv, LEADS_BY_CREATED_PREFIX), count);

    // KV removes expired keys in the background (about once a minute).
    await until(
      async () =>
        (await countKeys(kv, ["lead_changes"])) === 0 &&
        (await countKeys(kv, ["webhook_deliveries"])) === 0 &&
        (await countKeys(kv, ["webhook_delivery_chunks"])) === 0,
      "change records and raw deliveries to expire",
      180_000,
    );
    assert.equal(await countKeys(kv, LEADS_BY_CREATED_PREFIX), count, "the leads stay");
    assert.equal(await leads.getChangeHead(), count * 1, "the head keeps counting");
    const sizeAfter = await fileMib(kvPath);
    console.log(
      `storage growth: ${count} leads stored in ${seconds} s; KV file ${sizeFull} with their ` +
        `change records and raw deliveries; ${sizeAfter} once those expired (SQLite reuses the ` +
        `freed pages rather than shrinking the file)`,
    );
  } finally {
    await jobs.stop();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
