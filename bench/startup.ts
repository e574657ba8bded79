// Start-up (`deno task start` to the first 200), Graph calls per new lead (one at a time and in a
// burst) and per idle hour, and the dashboard page's island JavaScript.
//
// Run: deno task bench:startup   (writes bench/results/startup.json)
// Sizes: STARTUP_RUNS (3), STARTUP_LEADS (200), STARTUP_IDLE_SECONDS (130).

import { chromium } from "playwright-core";
import { SESSION_COOKIE } from "../lib/auth_web/cookies.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { loadIslandBundles, pageScriptBytes } from "../lib/islands/bundles.ts";
import { CHROMIUM_ARGS, findChromium } from "../tests/_helpers/browser.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  benchSession,
  freePort,
  killQuietly,
  leadlineEnv,
  machineInfo,
  prepareDelivery,
  progress,
  runLoadProcess,
  startLeadline,
  stopServer,
  uptime,
  writeResult,
} from "./_shared.ts";

const RUNS = Number(Deno.env.get("STARTUP_RUNS") ?? 3);
const LEADS = Number(Deno.env.get("STARTUP_LEADS") ?? 200);
const IDLE_SECONDS = Number(Deno.env.get("STARTUP_IDLE_SECONDS") ?? 130);

const machine = await machineInfo();
const sim = await startGraphSimulator({
  appSecret: APP_SECRET,
  accessToken: ACCESS_TOKEN,
  seed: 41,
});

/** Spawns `args` (in the project) and resolves with the ms until GET /health answers 200. */
async function timeToFirst200(args: string[], kvPath: string): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: new URL("../", import.meta.url),
    env: leadlineEnv(kvPath, sim, { PORT: String(port) }),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    while (true) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        await res.body?.cancel();
        if (res.status === 200) return performance.now() - started;
      } catch { /* not listening yet */ }
      if (performance.now() - started > 120_000) {
        throw new Error(`${args.join(" ")} never answered`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    killQuietly(child, "SIGTERM");
    await child.status;
  }
}

const dir = await Deno.makeTempDir({ prefix: "leadline_bench_startup_" });
try {
  const startup: { command: string; ms: number[] }[] = [];
  for (const args of [["task", "start"], ["run", "-A", "main.ts"]]) {
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // A new KV each time (the first start of a new install), then the same one (a restart).
      const kvPath = `${dir}/startup-${args[0]}.kv`;
      ms.push(Math.round(await timeToFirst200(args, kvPath)));
    }
    startup.push({ command: `deno ${args.join(" ")}`, ms });
    progress(`deno ${args.join(" ")} -> first 200: ${ms.join(", ")} ms`);
  }

  // Graph calls per new lead.
  const kvPath = `${dir}/calls.kv`;
  const cookie = await benchSession(kvPath);
  const server = await startLeadline(leadlineEnv(kvPath, sim));
  const perLead = [];
  let idle: Record<string, unknown> | null = null;
  try {
    for (
      const [label, concurrency] of [["one at a time", 1], ["a burst of 32 at once", 32]] as const
    ) {
      sim.resetCalls();
      const leads = Array.from({ length: LEADS }, () => sim.createLead());
      const prepared = await Promise.all(
        leads.map((lead) => prepareDelivery(sim.webhookBody([lead]))),
      );
      await runLoadProcess(prepared, server.url + "/webhook", concurrency);
      const deadline = Date.now() + 60_000;
      while (sim.calls("lead") < LEADS && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Anything a retry or a second look would add arrives within a moment.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const row = {
        delivered: label,
        leads: LEADS,
        leadReadsPerLead: sim.calls("lead") / LEADS,
        graphRequestsPerLead: Math.round(sim.requests() / LEADS * 1000) / 1000,
        allGraphCallsPerLead: Math.round(sim.calls() / LEADS * 1000) / 1000,
      };
      perLead.push(row);
      progress(
        `Graph, ${label}: ${row.leadReadsPerLead} lead reads, ${row.graphRequestsPerLead} ` +
          `requests, ${row.allGraphCallsPerLead} calls of any kind per lead`,
      );
    }

    // One sync sweep's calls, then an idle window with one dashboard open.
    sim.resetCalls();
    const sync = await fetch(server.url + "/api/leads/sync", {
      method: "POST",
      headers: { cookie, origin: server.url, accept: "application/json" },
    });
    const syncBody = await sync.json();
    const callsPerSweep = sim.calls();
    progress(
      `one sync sweep: ${callsPerSweep} Graph calls (${JSON.stringify(syncBody.forms)} forms)`,
    );

    sim.resetCalls();
    progress(`idle ${IDLE_SECONDS} s with no dashboard open`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    const idleNone = sim.calls();
    sim.resetCalls();
    progress(`idle ${IDLE_SECONDS} s with one dashboard open`);
    const browser = await chromium.launch({
      executablePath: findChromium() ?? undefined,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    try {
      const context = await browser.newContext();
      await context.addCookies([{
        name: SESSION_COOKIE,
        value: cookie.slice(SESSION_COOKIE.length + 1),
        url: server.url,
        httpOnly: true,
      }]);
      const page = await context.newPage();
      await page.goto(server.url + "/");
      await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    } finally {
      await browser.close();
    }
    const idleDashboard = sim.calls();
    const hour = 3600 / IDLE_SECONDS;
    idle = {
      windowSeconds: IDLE_SECONDS,
      callsPerSyncSweep: callsPerSweep,
      cronSweepsPerHour: 60 / 15,
      measuredNoDashboard: idleNone,
      measuredOneDashboard: idleDashboard,
      perHourNoDashboard: Math.round(Math.max(idleNone * hour, 4 * callsPerSweep)),
      perHourOneDashboard: Math.round(idleDashboard * hour),
      uptime: await uptime(),
    };
    progress(
      `idle: ${idleNone} calls without a dashboard, ${idleDashboard} with one, in ${IDLE_SECONDS} s`,
    );
  } finally {
    await stopServer(server);
  }

  // Every island the dashboard page loads, as tests/islands/size_test.ts reads them from the page
  // (the team strip was left out before, which made the page look 3.8 KB lighter).
  const pageIslands = ["AddLeadForm", "LeadDashboard", "LiveFragments"];
  const scripts = pageScriptBytes(await loadIslandBundles(pageIslands), pageIslands);
  const island = { files: scripts.files, bytes: scripts.identity, gzipBytes: scripts.gzip };
  progress(`dashboard page JS: ${island.bytes} bytes, ${island.gzipBytes} gzip`);

  await writeResult("startup", {
    machine,
    command: "deno task bench:startup",
    startup,
    graphCallsPerLead: perLead,
    graphCallsIdle: idle,
    island,
  });
} finally {
  await sim.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
