// Push latency: signed webhook POST -> the lead's notification taken (and decrypted) by a push
// service stand-in on 127.0.0.1, one lead at a time, over a file-backed KV as in production.
// Run with `deno run -A bench/push_latency.ts [leads]` after `deno task build`; prints p50/p90/p99.

import { loadConfig } from "../lib/config.ts";
import { createUser } from "../lib/auth/users.ts";
import { signBody } from "../lib/facebook/signature.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { createLogger } from "../lib/log.ts";
import { savePushSubscription } from "../lib/push/subscriptions.ts";
import { createApp } from "../main.ts";
import { startPushService } from "../tests/_helpers/push_service.ts";

const LEADS = Number(Deno.args[0] ?? 100);
const APP_SECRET = "bench-app-secret";
const ACCESS_TOKEN = "bench-page-token";

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 10) / 10;
}

const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
const push = startPushService();
const dir = await Deno.makeTempDir({ prefix: "leadline_bench_push_" });
const config = loadConfig({
  KV_PATH: `${dir}/bench.kv`,
  LOG_LEVEL: "error",
  META_APP_SECRET: APP_SECRET,
  META_VERIFY_TOKEN: "bench-verify",
  META_ACCESS_TOKEN: ACCESS_TOKEN,
  GRAPH_API_BASE: sim.url,
});
const kv = await Deno.openKv(config.kvPath!);
const app = await createApp({ config, kv, log: createLogger({ level: "error" }) });
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
const url = `http://127.0.0.1:${server.addr.port}`;
const user = await createUser(kv, {
  email: "rep@example.com",
  name: "Rep",
  role: "agent",
  password: "correct horse battery staple",
}, { iterations: 1_000 });
const phone = await push.subscribe();
await savePushSubscription(kv, user.id, {
  endpoint: phone.endpoint,
  p256dh: phone.keys.p256dh,
  auth: phone.keys.auth,
});

const latencies: number[] = [];
for (let i = 0; i < LEADS; i++) {
  const lead = sim.createLead();
  const body = sim.webhookBody([lead]);
  const started = performance.now();
  const res = await fetch(`${url}/webhook`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": await signBody(APP_SECRET, new TextEncoder().encode(body)),
    },
    body,
  });
  await res.body?.cancel();
  const [message] = (await push.waitFor(i + 1, 10_000)).slice(i);
  if (!String(message.payload.title).includes(lead.fields.fullName)) {
    throw new Error(`message ${i} is not about lead ${lead.id}: ${message.payload.title}`);
  }
  latencies.push(message.at - started);
}
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  leads: LEADS,
  webhookToPushP50Ms: percentile(latencies, 50),
  webhookToPushP90Ms: percentile(latencies, 90),
  webhookToPushP99Ms: percentile(latencies, 99),
  maxMs: percentile(latencies, 100),
}));

await server.shutdown();
await app.close();
kv.close();
await push.close();
await sim.close();
await Deno.remove(dir, { recursive: true });
