// Lead to screen: a signed webhook POST -> the lead's NAME in the DOM of a real Chromium dashboard
// (its row shows the name once the Graph fetch is stored), with 1, 100 and 1,000 open event
// streams (the others from plain HTTP clients in another process), the server's memory per open
// stream, and the polling path with the stream blocked.
//
// Run: deno task bench:screen   (writes bench/results/screen.json)
// Sizes: SCREEN_LEADS (200 per run), SCREEN_STREAMS ("1,100,1000"), SCREEN_POLL_LEADS (40).

import { chromium, type Page } from "playwright-core";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { signBody } from "../lib/facebook/signature.ts";
import { SESSION_COOKIE } from "../lib/auth_web/cookies.ts";
import { CHROMIUM_ARGS, findChromium } from "../tests/_helpers/browser.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  benchSession,
  leadlineEnv,
  machineInfo,
  openStreams,
  progress,
  rssKib,
  type ServerProcess,
  startLeadline,
  stopServer,
  summarize,
  uptime,
  writeResult,
} from "./_shared.ts";

const LEADS = Number(Deno.env.get("SCREEN_LEADS") ?? 200);
const STREAMS = (Deno.env.get("SCREEN_STREAMS") ?? "1,100,1000").split(",").map(Number);
const POLL_LEADS = Number(Deno.env.get("SCREEN_POLL_LEADS") ?? 40);
const WARMUP = 5;

const machine = await machineInfo();
// A simulator per server (see startServer): the dashboard's minute resync asks for a sync, and a
// simulator that still held an earlier run's leads would pour them in as leads the webhook missed.
let sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, seed: 21 });
const browser = await chromium.launch({
  executablePath: findChromium() ?? undefined,
  args: CHROMIUM_ARGS,
  headless: true,
});
let counter = 0;

interface Server {
  server: ServerProcess;
  cookie: string;
  dir: string;
}

async function startServer(): Promise<Server> {
  await sim.close();
  sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, seed: 21 });
  const dir = await Deno.makeTempDir({ prefix: "leadline_bench_screen_" });
  const kvPath = `${dir}/leadline.kv`;
  const cookie = await benchSession(kvPath);
  const server = await startLeadline(leadlineEnv(kvPath, sim, { SSE_MAX_STREAMS: "1100" }));
  return { server, cookie, dir };
}

async function stop({ server, dir }: Server) {
  await stopServer(server);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

/** Opens a signed-in dashboard that records when each lead name first appears in a row. */
async function openDashboard(base: string, cookie: string, blockStream: boolean): Promise<Page> {
  const context = await browser.newContext();
  await context.addCookies([{
    name: SESSION_COOKIE,
    value: cookie.slice(SESSION_COOKIE.length + 1),
    url: base,
    httpOnly: true,
  }]);
  const page = await context.newPage();
  if (blockStream) await page.route("**/api/events**", (route) => route.abort("connectionreset"));
  await page.goto(base + "/");
  await page.locator(`[data-connection="${blockStream ? "polling" : "live"}"]`)
    .waitFor({ timeout: 20_000 });
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (globalThis as unknown as { namesSeen: Record<string, number> }).namesSeen = seen;
    const scan = () => {
      const at = performance.timeOrigin + performance.now();
      for (const name of document.querySelectorAll("[data-lead-id] .lead-name")) {
        const text = name.textContent ?? "";
        if (text.startsWith("Bench Person ") && !(text in seen)) seen[text] = at;
      }
    };
    new MutationObserver(scan).observe(document.body, {
      childList: true,
      subtree: true,
      characterData: true,
    });
  });
  return page;
}

/** Sends one lead and resolves with the ms from the POST to its name on screen. */
async function leadToName(base: string, page: Page, timeoutMs: number): Promise<number> {
  const name = `Bench Person ${++counter}`;
  const lead = sim.createLead({ fields: { fullName: name }, organic: false });
  const body = sim.webhookBody([lead]);
  const signature = await signBody(APP_SECRET, body);
  const sentAt = performance.timeOrigin + performance.now();
  const res = await fetch(base + "/webhook", {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": signature },
    body,
  });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  const seenAt = await page.waitForFunction(
    (wanted) => (globalThis as unknown as { namesSeen: Record<string, number> }).namesSeen[wanted],
    name,
    { polling: 2, timeout: timeoutMs },
  ).then((handle) => handle.jsonValue() as Promise<number>);
  return seenAt - sentAt;
}

const runs = [];
let memory = null;
try {
  for (const streams of STREAMS) {
    progress(`lead to screen with ${streams} open stream(s)`);
    const app = await startServer();
    const base = app.server.url;
    try {
      // Settle the server, then measure its memory before and after the other streams open.
      await (await fetch(base + "/health")).body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rssBefore = await rssKib(app.server.pid);
      const extra = await openStreams(base, app.cookie, streams - 1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const rssAfter = await rssKib(app.server.pid);
      if (streams - 1 >= 99 && rssBefore !== null && rssAfter !== null) {
        memory = {
          streams: streams - 1,
          rssBeforeKib: rssBefore,
          rssAfterKib: rssAfter,
          kibPerStream: Math.round((rssAfter - rssBefore) / (streams - 1) * 10) / 10,
        };
        progress(`  server memory: ${memory.kibPerStream} KiB per open stream`);
      }
      try {
        const page = await openDashboard(base, app.cookie, false);
        const latencies: number[] = [];
        for (let i = 0; i < LEADS + WARMUP; i++) {
          const ms = await leadToName(base, page, 20_000);
          if (i >= WARMUP) latencies.push(ms);
          // One lead at a time: let its last change reach every stream before the next.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await page.context().close();
        const figures = summarize(latencies);
        runs.push({ streams, ...figures, uptime: await uptime() });
        progress(`  webhook -> name: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`);
      } finally {
        await extra.close();
      }
    } finally {
      await stop(app);
    }
  }

  progress(`polling path: the event stream blocked, ${POLL_LEADS} leads`);
  const app = await startServer();
  let polling;
  try {
    const page = await openDashboard(app.server.url, app.cookie, true);
    const latencies: number[] = [];
    for (let i = 0; i < POLL_LEADS; i++) {
      // Sent at a random moment of the 3 s poll cycle, as leads arrive.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3000));
      latencies.push(await leadToName(app.server.url, page, 20_000));
    }
    await page.context().close();
    polling = { ...summarize(latencies), pollMs: 3000, uptime: await uptime() };
    progress(`  webhook -> name while polling: p50 ${polling.p50Ms} ms, p99 ${polling.p99Ms} ms`);
  } finally {
    await stop(app);
  }

  await writeResult("screen", {
    machine,
    command: "deno task bench:screen",
    what: "signed webhook POST sent -> the lead's name in its row of an open dashboard " +
      "(Chromium, MutationObserver), one lead at a time; the other streams are plain HTTP " +
      "clients in another process that read everything",
    leadsPerRun: LEADS,
    runs,
    memoryPerStream: memory,
    polling,
  });
} finally {
  await browser.close();
  await sim.close();
}
