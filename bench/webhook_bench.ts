// Webhook ingestion speed end to end: a real server on a temp-file KV, the Graph simulator, loopback.
// Measures POST /webhook -> 200 (one lead, signed), 200 -> lead fetched, and a 1,000-change batch.
// Run: deno run -A bench/webhook_bench.ts  (writes bench/results/webhook.json)

import { loadConfig } from "../lib/config.ts";
import { signBody } from "../lib/facebook/signature.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { createLogger } from "../lib/log.ts";
import { createApp } from "../main.ts";

const SECRET = "bench-app-secret";
const TOKEN = "bench-page-token";
const ROUNDS = 300;

const dir = await Deno.makeTempDir({ prefix: "leadline_webhook_bench_" });
const sim = await startGraphSimulator({ appSecret: SECRET, accessToken: TOKEN, seed: 5 });
const config = loadConfig({
  KV_PATH: `${dir}/bench.kv`,
  META_APP_SECRET: SECRET,
  META_VERIFY_TOKEN: "bench-verify",
  META_ACCESS_TOKEN: TOKEN,
  GRAPH_API_BASE: sim.url,
  GRAPH_API_VERSION: sim.version,
  LOG_LEVEL: "silent",
});
const app = await createApp({ config, log: createLogger({ level: "silent" }) });
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
const url = `http://127.0.0.1:${server.addr.port}/webhook`;
const { leads } = app.services;

function percentile(sorted: number[], p: number): number {
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 100) / 100;
}

async function post(body: string): Promise<number> {
  const bytes = new TextEncoder().encode(body);
  const signature = await signBody(SECRET, bytes);
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    body: bytes,
  });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  return performance.now() - started;
}

async function waitFetched(leadgenId: string, since: number): Promise<number> {
  while (true) {
    const lead = await leads.getLeadByLeadgenId(leadgenId);
    if (lead?.details === "fetched") return performance.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// Warm up the connection pool, the key cache and the JIT.
for (let i = 0; i < 20; i++) await post(sim.webhookBody([sim.createLead()]));

const ack: number[] = [];
const fetched: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const lead = sim.createLead();
  const started = performance.now();
  ack.push(await post(sim.webhookBody([lead])));
  fetched.push(await waitFetched(lead.id, started));
}
ack.sort((a, b) => a - b);
fetched.sort((a, b) => a - b);

const batch = Array.from({ length: 1000 }, () => sim.createLead());
const batchMs = await post(sim.webhookBody(batch));

const result = {
  measuredAt: new Date().toISOString(),
  rounds: ROUNDS,
  webhookAckMs: { p50: percentile(ack, 0.5), p99: percentile(ack, 0.99) },
  webhookToFetchedMs: { p50: percentile(fetched, 0.5), p99: percentile(fetched, 0.99) },
  batchOf1000AckMs: Math.round(batchMs),
};
console.log(JSON.stringify(result, null, 2));
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/webhook.json", import.meta.url),
  JSON.stringify(result, null, 2) + "\n",
);

await server.shutdown();
await app.close();
await sim.close();
await Deno.remove(dir, { recursive: true });
