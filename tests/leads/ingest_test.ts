// Deliveries that arrive together share one commit: their leads, claimed fetch jobs and raw
// copies, within KV's limit of 100 checks per commit (no commit refused and split).
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { createJobQueue } from "../../lib/jobs/queue.ts";
import { ingestWebhook } from "../../lib/leads/ingest.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";

Deno.test("[ingest] 40 leads at once: one commit for the leads, their jobs and raw copies, none refused", async () => {
  const real = await Deno.openKv(":memory:");
  const commits = { calls: 0, refusedOrThrown: 0 };
  const kv = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop !== "atomic") return typeof value === "function" ? value.bind(target) : value;
      return () => {
        const op = target.atomic();
        const commit = op.commit.bind(op);
        op.commit = async () => {
          commits.calls++;
          try {
            const res = await commit();
            if (!res.ok) commits.refusedOrThrown++;
            return res;
          } catch (error) {
            commits.refusedOrThrown++;
            throw error;
          }
        };
        return op;
      };
    },
  });
  const leads = createLeadStore(kv);
  const jobs = createJobQueue(kv, { log: { warn() {}, error() {} } });
  // The jobs are not run here: only the commit that creates them counts.
  const deps = {
    kv,
    leads,
    jobs: { ...jobs, runClaimed() {} },
    appSecret: "group-secret",
    log: createLogger({ level: "silent" }),
  };
  const change = (i: number) => ({
    field: "leadgen",
    value: { leadgen_id: `80000000000000${i}`, page_id: "101", created_time: 1764336000 },
  });
  const delivery = (changes: unknown[]) => {
    const body = new TextEncoder().encode(JSON.stringify({
      object: "page",
      entry: [{ id: "101", time: 1764336000, changes }],
    }));
    return signBody("group-secret", body).then((signature) => ({ body, signature }));
  };
  // One batch of 40 (Meta sends up to 1,000 changes in one delivery) and 10 single deliveries.
  const batch = await delivery(Array.from({ length: 40 }, (_, i) => change(i)));
  const singles = await Promise.all(
    Array.from({ length: 10 }, (_, i) => delivery([change(40 + i)])),
  );
  const results = await Promise.all(
    [batch, ...singles].map(({ body, signature }) => ingestWebhook(deps, body, signature)),
  );
  assert.deepEqual(
    results.map((r) => r.outcome === "accepted" && r.inserted),
    [40, ...Array(10).fill(1)],
  );
  assert.equal(commits.refusedOrThrown, 0, "no commit went over KV's limits");
  assert.ok(commits.calls <= 3, `${commits.calls} commits for 50 leads`);
  let jobCount = 0;
  for await (const _ of real.list({ prefix: ["jobs"] })) jobCount++;
  assert.equal(jobCount, 50);
  await jobs.stop();
  real.close();
});
