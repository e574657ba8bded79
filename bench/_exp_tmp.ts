import { loadConfig } from "../fresh.config.ts";
import { createLogger } from "../lib/log.ts";
import { createApp } from "../main.ts";
import { signBody } from "../lib/facebook/signature.ts";
import process from "node:process";
// sim in a subprocess
const simCode = `import { startGraphSimulator } from "${new URL("../lib/graph_sim/mod.ts", import.meta.url).href}";
const sim = await startGraphSimulator({ appSecret: "s", accessToken: "t", seed: 1 });
console.log(sim.url);
const leads = []; for (let i = 0; i < 20000; i++) leads.push(sim.createLead());
console.log(JSON.stringify(leads.map(l => sim.webhookBody([l]))));
await new Promise(() => {});`;
const child = new Deno.Command(Deno.execPath(), { args: ["eval", "--ext=ts", simCode], stdout: "piped" }).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let buf = ""; while (buf.split("\n").length < 3) buf += (await reader.read()).value;
const [simUrl, bodiesJson] = buf.split("\n");
const bodies: string[] = JSON.parse(bodiesJson);
const dir = await Deno.makeTempDir();
const mode = Deno.args[0] ?? "full";
const config = loadConfig({ KV_PATH: `${dir}/kv`, META_APP_SECRET: "s", META_VERIFY_TOKEN: "v", META_ACCESS_TOKEN: "t", GRAPH_API_BASE: simUrl, GRAPH_API_VERSION: "v21.0", LOG_LEVEL: "info" });
const app = await createApp({ config, log: createLogger({ level: "info", sink: () => {} }) });
if (mode === "nojobs") await app.services.pipeline.close();
const prepared = await Promise.all(bodies.map(async (b) => { const bytes = new TextEncoder().encode(b); return { bytes, sig: await signBody("s", bytes) }; }));
let next = 0;
async function run(n: number, c: number) {
  const end = next + n;
  const u0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (next < end) { const p = prepared[next++]; await app.services.pipeline.ingest(p.bytes, p.sig, "r"); } }));
  if (mode === "full") { while ((await app.services.leads.listLeads({limit: 1})).leads[0]?.details !== "fetched") await new Promise(r => setTimeout(r, 1)); await new Promise(r => setTimeout(r, 200)); }
  const u = process.cpuUsage(u0); const ms = performance.now() - t0;
  console.log(mode, `${n} deliveries c=${c}: ${Math.round(n / ms * 1000)}/s wall, CPU ${Math.round((u.user + u.system) / n)} µs/delivery (user ${Math.round(u.user / n)}, sys ${Math.round(u.system / n)})`);
}
await run(1000, 32); await run(3000, 32); await run(3000, 32);
await app.close(); child.kill(); Deno.exit(0);
