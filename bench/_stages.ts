// The stages of one single-lead delivery, each timed alone at concurrency 1 on a temp-file KV and
// the Graph simulator, in the order a delivery goes through them (the code of before this work
// had more: a forgery-limit read, a separate raw-delivery commit, a claim commit and a finishing
// commit; bench/results/profile_before.json keeps what they cost). Run by profile.ts in a
// subprocess whose stdout is a pipe, so the log lines cost what they cost under a supervisor.
//
// Run alone: deno run -A bench/_stages.ts <rounds> <result.json>

import { createAlertStore } from "../lib/alerts.ts";
import { createGraphClient } from "../lib/facebook/graph_client.ts";
import { parseWebhookDelivery } from "../lib/facebook/payload.ts";
import { signBody, verifySignature } from "../lib/facebook/signature.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { type ClaimedJob, createJobQueue } from "../lib/jobs/queue.ts";
import { buildDelivery, deliveryWrites } from "../lib/leads/deliveries.ts";
import { FETCH_LEAD_DETAILS, fetchLeadDetailsHandler } from "../lib/leads/fetch_details.ts";
import { addClaimedFetchJob } from "../lib/leads/ingest.ts";
import { newMetaLead } from "../lib/leads/model.ts";
import { createLeadStore, type LeadStore } from "../lib/leads/store.ts";
import { createLogger } from "../lib/log.ts";

/** One stage's timings over the rounds. */
export interface StageTiming {
  stage: string;
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
}

function stat(stage: string, samples: number[]): StageTiming {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    stage,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** Runs `rounds` deliveries through the stages in this process; returns per-stage timings. */
async function measureStages(rounds: number): Promise<{ stages: StageTiming[]; rounds: number }> {
  const secret = "stage-secret";
  const token = "stage-token";
  const sim = await startGraphSimulator({ appSecret: secret, accessToken: token, seed: 9 });
  const dir = await Deno.makeTempDir({ prefix: "leadline_stages_" });
  const kv = await Deno.openKv(`${dir}/stages.kv`);
  const log = createLogger({ level: "info" });
  const store = createLeadStore(kv);
  const samples = new Map<string, number[]>();
  const add = (stage: string, ms: number) => {
    if (!samples.has(stage)) samples.set(stage, []);
    samples.get(stage)!.push(ms);
  };
  let measuring = false;
  const timed = async <T>(stage: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await run();
    if (measuring) add(stage, performance.now() - started);
    return value;
  };
  const graph = createGraphClient({
    baseUrl: sim.url,
    version: sim.version,
    appSecret: secret,
    tokenForPage: () => token,
  });
  const timedGraph = {
    ...graph,
    getLead: (id: string, page: string) => timed("Graph fetch", () => graph.getLead(id, page)),
  };
  const timedLeads: LeadStore = {
    ...store,
    updateLead: (id, mutate, options) =>
      timed("result commit (+ job removal)", () => store.updateLead(id, mutate, options)),
  };
  const alerts = createAlertStore(kv);
  const handler = fetchLeadDetailsHandler({
    kv,
    leads: timedLeads,
    graph: timedGraph,
    alerts,
    log: createLogger({ level: "silent" }),
  });
  const jobs = createJobQueue(kv, { log: { warn() {}, error() {} } });
  let handed = 0;
  let finished = Promise.withResolvers<void>();
  jobs.register(FETCH_LEAD_DETAILS, async (payload, ctx) => {
    if (measuring) add("job start (no claim commit)", performance.now() - handed);
    try {
      return await handler(payload, ctx);
    } finally {
      finished.resolve();
    }
  });

  try {
    for (let round = 0; round < rounds + 30; round++) {
      measuring = round >= 30; // the first rounds warm the JIT and the connections
      const lead = sim.createLead();
      const body = new TextEncoder().encode(sim.webhookBody([lead]));
      const header = await signBody(secret, body);

      await timed("signature", () => verifySignature(secret, body, header));
      const started = performance.now();
      const delivery = parseWebhookDelivery(new TextDecoder().decode(body));
      const stubs = delivery.leadgen.map((change) => newMetaLead(change, new Date()));
      if (measuring) add("parse", performance.now() - started);
      // A signed delivery no longer reads the forgery limiter: nothing to time.
      const built = buildDelivery(body, {
        requestId: null,
        outcome: "accepted",
        leadgenChanges: 1,
        reason: null,
      });
      const claims = new Map<string, ClaimedJob>();
      finished = Promise.withResolvers<void>();
      await timed("lead commit (+ claimed job, raw delivery)", () =>
        store.insertLeads(stubs, {
          onCommit(op, stored) {
            claims.set(stored.id, addClaimedFetchJob(jobs, op, stored, null));
          },
          onCommitted(stored, versionstamp) {
            handed = performance.now();
            jobs.runClaimed(claims.get(stored.id)!, versionstamp);
          },
          extra: deliveryWrites(built)!,
        }));
      await finished.promise;
      await timed("change log read", async () => {
        const head = await store.getChangeHead();
        return await store.listChangesSince(head - 2);
      });
      const logStarted = performance.now();
      log.info("request", { requestId: crypto.randomUUID(), path: "/webhook", status: 200 });
      log.info("webhook accepted", { deliveryId: "x", leadgenChanges: 1, inserted: 1 });
      if (measuring) add("logging (2 lines)", performance.now() - logStarted);
    }
  } finally {
    await jobs.stop();
    kv.close();
    await sim.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return { rounds, stages: [...samples].map(([stage, values]) => stat(stage, values)) };
}

/** Runs the stages in a subprocess (stdout a pipe, drained) and returns its figures. */
export async function runStages(rounds: number): Promise<{ stages: StageTiming[] }> {
  const file = await Deno.makeTempFile({ prefix: "leadline_stages_", suffix: ".json" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, String(rounds), file],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    for await (const _ of child.stdout) { /* the log lines: read and dropped, as a pipe would */ }
    const status = await child.status;
    if (!status.success) throw new Error(`the stage run failed (exit ${status.code})`);
    return JSON.parse(await Deno.readTextFile(file));
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

if (import.meta.main) {
  const [rounds, file] = Deno.args;
  const result = await measureStages(Number(rounds ?? 300));
  await Deno.writeTextFile(file, JSON.stringify(result));
}
