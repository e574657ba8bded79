// Ingest bench: Leadline (`deno run main.ts`, file KV, Graph simulator) against Meta's sample
// receiver (express + express-x-hub under Node, in memory), side by side in one run, each fed by
// the load generator in its own process. Then a matrix of concurrency 1, 16, 64 with single-lead
// and 10-change deliveries. Finally Leadline is SIGKILLed right after its last answer and the KV
// file is read: every acknowledged lead is either stored or still in the webhook inbox; then the
// server is started again on that file, and every acknowledged lead must end up stored.
//
// Run: deno task bench:ingest   (writes bench/results/ingest.json)
// Sizes: INGEST_N (1,500), INGEST_ROUNDS (3), INGEST_CONCURRENCY (32), INGEST_MATRIX_N (1,000).

import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import type { SimLead } from "../lib/graph_sim/state.ts";
import { WEBHOOK_INBOX } from "../lib/leads/inbox.ts";
import { leadByLeadgenKey } from "../lib/leads/keys.ts";
import { jobIdFor } from "../lib/jobs/keys.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  cpuTimeMs,
  killServer,
  leadlineEnv,
  type LoadReport,
  machineInfo,
  type PreparedDelivery,
  prepareDelivery,
  prepareSampleReceiver,
  progress,
  runLoadProcess,
  sampleVersions,
  type ServerProcess,
  startLeadline,
  startSampleReceiver,
  stopServer,
  uptime,
  writeResult,
} from "./_shared.ts";

const N = Number(Deno.env.get("INGEST_N") ?? 1500);
const ROUNDS = Number(Deno.env.get("INGEST_ROUNDS") ?? 3);
const CONCURRENCY = Number(Deno.env.get("INGEST_CONCURRENCY") ?? 32);
const MATRIX_N = Number(Deno.env.get("INGEST_MATRIX_N") ?? 1000);
/** INGEST_MATRIX=0 skips the concurrency matrix (a quick ratio run). */
const MATRIX_CONCURRENCY = Deno.env.get("INGEST_MATRIX") === "0" ? [] : [1, 16, 64];
const WARMUP = 300;

type Target = "leadline" | "sample";

interface Run extends Omit<LoadReport, "ok"> {
  target: Target;
  changesPerDelivery: number;
  /** Leadline only: from the load's start until every lead of the run was fetched from Graph. */
  allFetchedMs?: number;
  /** The server's CPU time per delivery (all its threads, and its JavaScript thread), in µs. */
  cpuUsPerDelivery?: { total: number; main: number };
  uptime: string;
}

const machine = await machineInfo();
progress(`machine: ${machine.cpus} cpus, ${machine.uptime}`);
const sim = await startGraphSimulator({
  appSecret: APP_SECRET,
  accessToken: ACCESS_TOKEN,
  seed: 12,
});
const dir = await Deno.makeTempDir({ prefix: "leadline_bench_ingest_" });
const kvPath = `${dir}/leadline.kv`;
progress("installing Meta's sample receiver (express, body-parser, express-x-hub) with npm");
const sampleDir = await prepareSampleReceiver();
const versions = await sampleVersions(sampleDir);

let leadline: ServerProcess | null = null;
let sample: ServerProcess | null = null;
/** Every lead acknowledged by Leadline (by leadgen id). */
const acknowledged = new Set<string>();

async function deliveries(count: number, changes: number): Promise<{
  prepared: PreparedDelivery[];
  leads: SimLead[][];
}> {
  const leads = Array.from(
    { length: count },
    () => Array.from({ length: changes }, () => sim.createLead()),
  );
  const prepared = await Promise.all(leads.map((group) => prepareDelivery(sim.webhookBody(group))));
  return { prepared, leads };
}

async function measure(target: Target, count: number, changes: number, concurrency: number) {
  const { prepared, leads } = await deliveries(count, changes);
  const server = target === "leadline" ? leadline! : sample!;
  const path = target === "leadline" ? "/webhook" : "/facebook";
  const callsBefore = sim.calls("lead");
  const cpuBefore = await cpuTimeMs(server.pid);
  const started = performance.now();
  const load = await runLoadProcess(prepared, server.url + path, concurrency);
  let allFetchedMs: number | undefined;
  if (target === "leadline") {
    for (const index of load.ok) for (const lead of leads[index]) acknowledged.add(lead.id);
    // The next run starts once this one's fetches are done, so runs do not share the machine.
    const expected = count * changes;
    const deadline = Date.now() + 120_000;
    while (sim.calls("lead") - callsBefore < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    allFetchedMs = Math.round(performance.now() - started);
  }
  const cpuAfter = await cpuTimeMs(server.pid);
  const cpuUsPerDelivery = cpuBefore && cpuAfter
    ? {
      total: Math.round((cpuAfter.total - cpuBefore.total) * 1000 / count),
      main: Math.round((cpuAfter.main - cpuBefore.main) * 1000 / count),
    }
    : undefined;
  const { ok: _ok, ...figures } = load;
  const run: Run = {
    target,
    changesPerDelivery: changes,
    ...figures,
    allFetchedMs,
    cpuUsPerDelivery,
    uptime: await uptime(),
  };
  const bad = Object.entries(load.statuses).filter(([status]) => status !== "200");
  const cpu = cpuUsPerDelivery
    ? `, CPU ${cpuUsPerDelivery.total} µs a delivery (${cpuUsPerDelivery.main} in its main thread)`
    : "";
  progress(
    `${
      target.padEnd(8)
    } c=${concurrency} x${changes}: ${load.perSecond}/s, p50 ${load.p50Ms} ms, ` +
      `p99 ${load.p99Ms} ms${allFetchedMs ? `, all fetched after ${allFetchedMs} ms` : ""}${cpu}${
        bad.length ? `, non-200: ${JSON.stringify(bad)}` : ""
      }`,
  );
  return run;
}

const ratioRuns: Run[] = [];
const matrixRuns: Run[] = [];
let durability: Record<string, unknown> = {};
try {
  sample = await startSampleReceiver(sampleDir);
  leadline = await startLeadline(leadlineEnv(kvPath, sim));
  progress(`leadline at ${leadline.url}, sample at ${sample.url}`);

  progress("warming up both");
  await measure("leadline", WARMUP, 1, CONCURRENCY);
  await measure("sample", WARMUP, 1, CONCURRENCY);

  for (let round = 0; round < ROUNDS; round++) {
    const order: Target[] = round % 2 === 0 ? ["leadline", "sample"] : ["sample", "leadline"];
    for (const target of order) ratioRuns.push(await measure(target, N, 1, CONCURRENCY));
  }

  for (const concurrency of MATRIX_CONCURRENCY) {
    for (const changes of [1, 10]) {
      const count = changes === 1 ? MATRIX_N : Math.ceil(MATRIX_N / 5);
      for (const target of ["leadline", "sample"] as Target[]) {
        matrixRuns.push(await measure(target, count, changes, concurrency));
      }
    }
  }

  // One more round, and the kill right after its last answer (the load generator's last 200,
  // before the round's fetches): an acknowledged lead is stored, or its delivery is in the inbox.
  const lastDeliveries = await deliveries(N, 1);
  const lastLoad = await runLoadProcess(
    lastDeliveries.prepared,
    leadline.url + "/webhook",
    CONCURRENCY,
  );
  for (const index of lastLoad.ok) {
    for (const lead of lastDeliveries.leads[index]) acknowledged.add(lead.id);
  }
  await killServer(leadline);
  leadline = null;
  const ids = [...acknowledged];
  let kv = await Deno.openKv(kvPath);
  const missing = await unstored(kv, ids);
  let inInbox = 0;
  const inboxPrefix = jobIdFor(WEBHOOK_INBOX, "");
  for await (
    const entry of kv.list({ start: ["jobs", inboxPrefix], end: ["jobs", `${WEBHOOK_INBOX};`] })
  ) {
    if (String(entry.key[1]).startsWith(inboxPrefix)) inInbox++;
  }
  kv.close();
  progress(
    `durability: ${ids.length} acknowledged leads; after the SIGKILL ${missing.length} not stored ` +
      `yet, ${inInbox} deliveries in the inbox; restarting on the KV file`,
  );
  // The restart stores what the inbox holds: every acknowledged lead must end up stored.
  const restartedAt = performance.now();
  leadline = await startLeadline(leadlineEnv(kvPath, sim));
  const listeningMs = Math.round(performance.now() - restartedAt);
  kv = await Deno.openKv(kvPath);
  let left = missing;
  const deadline = Date.now() + 120_000;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await unstored(kv, left);
  }
  const storedMs = Math.round(performance.now() - restartedAt);
  kv.close();
  durability = {
    what: "SIGKILL right after the last acknowledged delivery, the KV file read back, then the " +
      "server started again on it until every acknowledged lead was stored",
    acknowledgedLeads: ids.length,
    notStoredAtKill: missing.length,
    inboxRecordsAtKill: inInbox,
    missingAfterRestart: left.length,
    restartListeningMs: listeningMs,
    allStoredAfterRestartMs: storedMs,
  };
  progress(
    `durability: after the restart (listening in ${listeningMs} ms) ${left.length} of ` +
      `${ids.length} acknowledged leads missing, all stored ${storedMs} ms after the restart began`,
  );
} finally {
  if (leadline) await stopServer(leadline);
  if (sample) await stopServer(sample);
  await sim.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.remove(sampleDir, { recursive: true }).catch(() => {});
}

/** The leadgen ids among `ids` that have no stored lead in `kv`. */
async function unstored(kv: Deno.Kv, ids: string[]): Promise<string[]> {
  const left: string[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const chunk = ids.slice(i, i + 10);
    const entries = await kv.getMany(chunk.map(leadByLeadgenKey));
    entries.forEach((entry, j) => {
      if (entry.versionstamp === null) left.push(chunk[j]);
    });
  }
  return left;
}

function mean(values: number[]) {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}
const measured = ratioRuns.slice(0, ROUNDS * 2);
const ours = measured.filter((run) => run.target === "leadline");
const theirs = measured.filter((run) => run.target === "sample");
const ratio = mean(ours.map((r) => r.perSecond)) / mean(theirs.map((r) => r.perSecond));
progress(`ratio leadline/sample: ${ratio.toFixed(2)}x`);

await writeResult(Deno.env.get("INGEST_OUTPUT") ?? "ingest", {
  machine,
  command: "deno task bench:ingest",
  sample: {
    source: "github.com/fbsamples/graph-api-webhooks-samples node/index.js (see bench/_shared.ts)",
    packages: versions,
  },
  settings: { n: N, rounds: ROUNDS, concurrency: CONCURRENCY, matrixN: MATRIX_N },
  ratio: {
    leadlinePerSecond: Math.round(mean(ours.map((r) => r.perSecond))),
    samplePerSecond: Math.round(mean(theirs.map((r) => r.perSecond))),
    ratio: Math.round(ratio * 100) / 100,
    leadlineP50Ms: Math.round(mean(ours.map((r) => r.p50Ms)) * 100) / 100,
    leadlineCpuUs: Math.round(mean(ours.map((r) => r.cpuUsPerDelivery?.total ?? 0))),
    leadlineMainThreadUs: Math.round(mean(ours.map((r) => r.cpuUsPerDelivery?.main ?? 0))),
    sampleCpuUs: Math.round(mean(theirs.map((r) => r.cpuUsPerDelivery?.total ?? 0))),
    leadlineP99Ms: Math.max(...ours.map((r) => r.p99Ms)),
    sampleP50Ms: Math.round(mean(theirs.map((r) => r.p50Ms)) * 100) / 100,
    sampleP99Ms: Math.max(...theirs.map((r) => r.p99Ms)),
  },
  ratioRuns,
  matrixRuns,
  durability,
});
