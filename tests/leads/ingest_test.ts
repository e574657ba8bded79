// Webhook ingestion on its own (no HTTP): deliveries that arrive together share one commit (their
// leads, claimed fetch jobs and raw copies, within KV's limits), and a kept delivery replays
// through the same dedupe, and a new lead's answers are read ahead while its stub commits.
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { createAlertStore } from "../../lib/alerts.ts";
import { createLeadBatcher } from "../../lib/facebook/lead_batcher.ts";
import { createPrefetchingReader } from "../../lib/facebook/lead_prefetch.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createJobQueue } from "../../lib/jobs/queue.ts";
import { FETCH_LEAD_DETAILS, fetchLeadDetailsHandler } from "../../lib/leads/fetch_details.ts";
import { ingestWebhook, replayDelivery } from "../../lib/leads/ingest.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";
import { APP_SECRET } from "../_helpers/pipeline.ts";
import { graphClientFor } from "../_helpers/graph_sim.ts";
import { kvWatchingAtomics } from "../_helpers/kv_spy.ts";

Deno.test("[ingest] 40 leads at once: one commit for the leads, their jobs and raw copies, none refused", async () => {
  const real = await Deno.openKv(":memory:");
  const commits = { calls: 0, refusedOrThrown: 0 };
  const kv = kvWatchingAtomics(real, (op) => {
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

function quietLog() {
  const lines: string[] = [];
  return { log: createLogger({ level: "debug", sink: (line) => lines.push(line) }), lines };
}

Deno.test("[ingest] a kept delivery replays through the same dedupe", async () => {
  const kv = await Deno.openKv(":memory:");
  const { log } = quietLog();
  const leads = createLeadStore(kv);
  const jobs = createJobQueue(kv, { log });
  const deps = { kv, leads, jobs, appSecret: APP_SECRET, log };
  try {
    // Raw text: the id is a JSON number past 2^53, as Meta may send it.
    const body = '{"object":"page","entry":[{"id":"7","time":1764336000,"changes":[' +
      '{"field":"leadgen","value":{"leadgen_id":123456789012345678,"form_id":"9"}}]}]}';
    const bytes = new TextEncoder().encode(body);
    const first = await ingestWebhook(deps, bytes, await signBody(APP_SECRET, bytes));
    assert.equal(first.outcome, "accepted");
    if (first.outcome !== "accepted") return;
    assert.equal(first.inserted, 1);
    const lead = await leads.getLeadByLeadgenId("123456789012345678");
    assert.equal(lead?.pageId, "7", "the entry id stands in for a missing page_id");
    // Committed with the lead; the kick may already be running it (no handler here).
    const job = await jobs.getJob(FETCH_LEAD_DETAILS, "123456789012345678");
    assert.ok(job?.state === "waiting" || job?.state === "running", `job state ${job?.state}`);

    // Lost by a bug after the commit? Replay: the dedupe keeps it at one lead.
    const replayed = await replayDelivery(deps, first.deliveryId!);
    assert.equal(replayed?.outcome, "accepted");
    if (replayed?.outcome === "accepted") assert.equal(replayed.duplicates, 1);
    assert.equal(await leads.getChangeHead(), 1);
    assert.equal(await replayDelivery(deps, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), null);
  } finally {
    await jobs.stop();
    kv.close();
  }
});

Deno.test("[ingest] a new lead's answers are read while its stub commits, and its job takes them; a duplicate is not read again", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: "tok", seed: 8 });
  const kv = await Deno.openKv(":memory:");
  const { log } = quietLog();
  const leads = createLeadStore(kv);
  const jobs = createJobQueue(kv, { log });
  const graph = graphClientFor(sim, APP_SECRET, "tok");
  const reader = createPrefetchingReader(createLeadBatcher(graph));
  // No job runs on its own here: any Graph call before the job below is the read ahead.
  const deps = {
    kv,
    leads,
    jobs: { ...jobs, runClaimed() {} },
    appSecret: APP_SECRET,
    log,
    prefetch: (leadgenId: string, pageId: string) => reader.prefetch(leadgenId, pageId),
  };
  try {
    const simLead = sim.createLead({ fields: { fullName: "Ahead Of Time" } });
    const bytes = new TextEncoder().encode(sim.webhookBody([simLead]));
    const signature = await signBody(APP_SECRET, bytes);
    const first = await ingestWebhook(deps, bytes, signature);
    assert.equal(first.outcome === "accepted" && first.inserted, 1);
    const deadline = Date.now() + 5_000;
    while (sim.calls("lead") < 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    assert.equal(sim.calls("lead"), 1, "the lead was read with no job running");
    // Meta delivers it again: known, so nothing is read ahead for it.
    const again = await ingestWebhook(deps, bytes, signature);
    assert.equal(again.outcome === "accepted" && again.duplicates, 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(sim.calls("lead"), 1);
    assert.equal(reader.waiting, 1);

    // The job runs: it takes the answer read ahead instead of asking Meta again.
    jobs.register(
      FETCH_LEAD_DETAILS,
      fetchLeadDetailsHandler({ kv, leads, graph, alerts: createAlertStore(kv), log, reader }),
    );
    await jobs.takeOver(FETCH_LEAD_DETAILS);
    const stored = await leads.getLeadByLeadgenId(simLead.id);
    assert.equal(stored?.details, "fetched");
    assert.equal(stored?.fullName, "Ahead Of Time");
    assert.equal(sim.calls("lead"), 1, "one Graph read for the lead in all");
    assert.equal(reader.waiting, 0);
  } finally {
    await jobs.stop();
    kv.close();
    await sim.close();
  }
});
