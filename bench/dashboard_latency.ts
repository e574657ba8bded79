// Dashboard latency: signed webhook POST -> row in an open dashboard, with 1 and 100 open streams.
// Run with `deno task bench:live` (after `deno task build`); writes bench/results/dashboard_latency.json.

import { chromium } from "playwright-core";
import { loadConfig } from "../lib/config.ts";
import { createSession } from "../lib/auth/sessions.ts";
import { createUser } from "../lib/auth/users.ts";
import { SESSION_COOKIE } from "../lib/auth_web/cookies.ts";
import { signBody } from "../lib/facebook/signature.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { loadIslandBundles, pageScriptBytes } from "../lib/islands/bundles.ts";
import { createLogger } from "../lib/log.ts";
import { createApp } from "../main.ts";
import { CHROMIUM_ARGS, findChromium } from "../tests/_helpers/browser.ts";

const LEADS_PER_RUN = Number(Deno.args[0] ?? 120);
const STREAM_COUNTS = [1, 100];
const APP_SECRET = "bench-app-secret";
const ACCESS_TOKEN = "bench-page-token";

interface RunResult {
  streams: number;
  leads: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 100) / 100;
}

async function run(streams: number): Promise<RunResult> {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const dir = await Deno.makeTempDir({ prefix: "leadline_bench_live_" });
  const kv = await Deno.openKv(`${dir}/bench.kv`);
  const config = loadConfig({
    KV_PATH: `${dir}/bench.kv`,
    LOG_LEVEL: "silent",
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: "bench-verify",
    META_ACCESS_TOKEN: ACCESS_TOKEN,
    GRAPH_API_BASE: sim.url,
    GRAPH_API_VERSION: sim.version,
    SSE_MAX_STREAMS: String(streams + 10),
  });
  const app = await createApp({ config, kv, log: createLogger({ level: "silent" }) });
  const user = await createUser(kv, {
    email: "bench@example.com",
    name: "Bench",
    role: "admin",
    password: "bench password 1234",
  }, { iterations: 1_000 });
  const session = await createSession(kv, user);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const cookie = `${SESSION_COOKIE}=${session.id}`;

  // The other open dashboards: raw event streams that read everything, as browsers would.
  const extra: ReadableStreamDefaultReader<Uint8Array>[] = [];
  for (let i = 1; i < streams; i++) {
    const res = await fetch(url + "/api/events", { headers: { cookie } });
    if (res.status !== 200) throw new Error(`stream ${i} refused: ${res.status}`);
    const reader = res.body!.getReader();
    extra.push(reader);
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })().catch(() => {});
  }

  const browser = await chromium.launch({
    executablePath: findChromium() ?? undefined,
    args: CHROMIUM_ARGS,
    headless: true,
  });
  const latencies: number[] = [];
  try {
    const context = await browser.newContext();
    await context.addCookies([{ name: SESSION_COOKIE, value: session.id, url, httpOnly: true }]);
    const page = await context.newPage();
    await page.goto(url + "/");
    await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
    // Records when each row enters the DOM, on the same epoch clock as this process.
    await page.evaluate(() => {
      const seen: Record<string, number> = {};
      (globalThis as unknown as { seen: Record<string, number> }).seen = seen;
      new MutationObserver(() => {
        const at = performance.timeOrigin + performance.now();
        for (const row of document.querySelectorAll("[data-lead-id]")) {
          const id = row.getAttribute("data-lead-id")!;
          if (!(id in seen)) seen[id] = at;
        }
      }).observe(document.body, { childList: true, subtree: true });
    });

    for (let i = 0; i < LEADS_PER_RUN + 5; i++) {
      const lead = sim.createLead();
      const body = sim.webhookBody([lead]);
      const signature = await signBody(APP_SECRET, body);
      const sentAt = performance.timeOrigin + performance.now();
      const res = await fetch(url + "/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-signature-256": signature },
        body,
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      const stored = await app.services.leads.getLeadByLeadgenId(lead.id);
      const seenAt = await page.waitForFunction(
        (id) => (globalThis as unknown as { seen: Record<string, number> }).seen[id],
        stored!.id,
        { polling: 5, timeout: 10_000 },
      ).then((handle) => handle.jsonValue() as Promise<number>);
      if (i >= 5) latencies.push(seenAt - sentAt); // the first few warm the JIT and caches
      // Let the details fetch and its update settle so each lead is measured alone.
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await context.close();
  } finally {
    await browser.close();
    for (const reader of extra) await reader.cancel().catch(() => {});
    await app.services.live.stop();
    await server.shutdown();
    await app.close();
    kv.close();
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    streams,
    leads: sorted.length,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: percentile(sorted, 100),
  };
}

const runs: RunResult[] = [];
for (const streams of STREAM_COUNTS) {
  const result = await run(streams);
  console.log(
    `${streams} stream(s), ${result.leads} leads: p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, ` +
      `p99 ${result.p99Ms} ms, max ${result.maxMs} ms`,
  );
  runs.push(result);
}

// Every island the dashboard page renders, with the chunks it preloads, as the server sends them.
const pageIslands = ["AddLeadForm", "LeadDashboard", "SyncStatus"];
const scripts = pageScriptBytes(await loadIslandBundles(pageIslands), pageIslands);
const island = {
  files: scripts.files,
  bytes: scripts.identity,
  gzipBytes: scripts.gzip,
  brotliBytes: scripts.br,
};
console.log(
  `Dashboard page JS: ${island.bytes} bytes, ${island.gzipBytes} gzip, ${island.brotliBytes} brotli`,
);

const report = {
  measuredAt: new Date().toISOString(),
  what: "signed webhook POST sent -> the lead's row inserted into an open dashboard's DOM " +
    "(Chromium, MutationObserver), one lead at a time, loopback, temp-file KV",
  deno: Deno.version.deno,
  cpus: navigator.hardwareConcurrency,
  targets: { p99MsWith100Streams: 50, islandGzipBytes: 15 * 1024 },
  runs,
  island,
};
await Deno.mkdir(new URL("./results/", import.meta.url), { recursive: true });
await Deno.writeTextFile(
  new URL("./results/dashboard_latency.json", import.meta.url),
  JSON.stringify(report, null, 2) + "\n",
);
console.log("Wrote bench/results/dashboard_latency.json");
