// Lead to screen: a signed webhook POST -> the lead's NAME in the DOM of a real Chromium dashboard
// (its row shows the name once the Graph fetch is stored), with 1, 100, 1,000, 2,000, 4,000 and
// 8,000 open event streams (the others from plain HTTP clients in another process, each its own
// sign-in, with the stream cap raised to fit), the server's memory and CPU per open stream, and
// the polling path with the stream blocked.
//
// Run: deno task bench:screen   (writes bench/results/screen.json)
// Sizes: SCREEN_LEADS (200 per run; SCREEN_LEADS_BIG, 100, past 1,000 streams),
// SCREEN_STREAMS ("1,100,1000,2000,4000,8000"), SCREEN_ROUNDS (3: the sizes up to 1,000 run that
// many times in turn, their leads pooled; this machine's speed moves by a third from one minute
// to the next), SCREEN_PAUSE_MS (10: after a lead's name showed, before the next lead),
// SCREEN_POLL_LEADS (40).

import { chromium, type Page } from "playwright-core";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { signBody } from "../lib/facebook/signature.ts";
import { SESSION_COOKIE } from "../lib/auth_web/cookies.ts";
import { CHROMIUM_ARGS, findChromium } from "../tests/_helpers/browser.ts";
import { waitFor } from "../tests/_helpers/wait.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  BENCH_METRICS_TOKEN,
  benchSessions,
  cpuTimeMs,
  leadlineEnv,
  machineInfo,
  openStreams,
  progress,
  readMetric,
  rssKib,
  type ServerProcess,
  startLeadline,
  stopServer,
  summarize,
  uptime,
  writeResult,
} from "./_shared.ts";

const LEADS = Number(Deno.env.get("SCREEN_LEADS") ?? 200);
const LEADS_BIG = Number(Deno.env.get("SCREEN_LEADS_BIG") ?? 100);
const STREAMS = (Deno.env.get("SCREEN_STREAMS") ?? "1,100,1000,2000,4000,8000").split(",")
  .map(Number);
const POLL_LEADS = Number(Deno.env.get("SCREEN_POLL_LEADS") ?? 40);
const WARMUP = 5;
/** The pause after a lead's name showed before the next lead is sent. */
const PAUSE_MS = Number(Deno.env.get("SCREEN_PAUSE_MS") ?? 10);
const ROUNDS = Math.max(1, Number(Deno.env.get("SCREEN_ROUNDS") ?? 3));

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
  /** The dashboard's sign-in. */
  cookie: string;
  /** One sign-in per other stream. */
  others: string[];
  dir: string;
}

/** A server whose stream cap fits `streams`, with a sign-in for each of them. */
async function startServer(streams: number): Promise<Server> {
  await sim.close();
  sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, seed: 21 });
  const dir = await Deno.makeTempDir({ prefix: "leadline_bench_screen_" });
  const kvPath = `${dir}/leadline.kv`;
  const [cookie, ...others] = await benchSessions(kvPath, Math.max(1, streams));
  const server = await startLeadline(
    leadlineEnv(kvPath, sim, {
      SSE_MAX_STREAMS: String(Math.max(1000, streams + 100)),
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
    }),
  );
  // Measure the server as it runs for days, not its first seconds: it checks Meta 5 s after it
  // starts (Graph calls, a scan for leads to resume), which landed among the leads measured.
  await startupDone(server);
  return { server, cookie, others, dir };
}

/** Waits until the server logged its start-up Meta health check; throws after 20 s. */
function startupDone(server: ServerProcess): Promise<boolean> {
  return waitFor(
    () => server.tail.some((line) => line.includes('"meta health check')),
    "the server's start-up Meta health check",
    20_000,
  );
}

/** Waits until the server holds `count` open event streams; throws after 30 s. */
async function streamsOpen(base: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let open: number | null = null;
  while (Date.now() < deadline) {
    open = await readMetric(base, "leadline_event_streams_open");
    if (open === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server holds ${open} open event streams, not ${count}`);
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

/** One size measured once: its latencies and what the server did meanwhile. */
interface SizeRun {
  streams: number;
  round: number;
  latencies: number[];
  cpuMsPerLead: number | null;
  rssBeforeKib: number | null;
  rssAfterKib: number | null;
  rssEndKib: number | null;
  kibPerStream: number | null;
  openAtEnd: number | null;
  uptime: string;
}

/** Starts a server with `streams` open event streams and sends `leads` leads, one at a time. */
async function measureSize(streams: number, leads: number, round: number): Promise<SizeRun> {
  progress(`lead to screen with ${streams} open stream(s), round ${round}`);
  const app = await startServer(streams);
  const base = app.server.url;
  try {
    // Settle the server, then measure its memory before and after the other streams open.
    await (await fetch(base + "/health")).body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssBefore = await rssKib(app.server.pid);
    const extra = await openStreams(base, app.others, streams - 1);
    try {
      await streamsOpen(base, streams - 1);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const rssAfter = await rssKib(app.server.pid);
      const kibPerStream = streams > 1 && rssBefore !== null && rssAfter !== null
        ? Math.round((rssAfter - rssBefore) / (streams - 1) * 10) / 10
        : null;
      if (kibPerStream !== null) progress(`  server memory: ${kibPerStream} KiB per open stream`);
      const page = await openDashboard(base, app.cookie, false);
      const latencies: number[] = [];
      let cpuBefore = null;
      for (let i = 0; i < leads + WARMUP; i++) {
        if (i === WARMUP) cpuBefore = await cpuTimeMs(app.server.pid);
        const ms = await leadToName(base, page, 20_000);
        if (i >= WARMUP) latencies.push(ms);
        // One lead at a time: let its last change reach every stream before the next.
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
      const cpuAfter = await cpuTimeMs(app.server.pid);
      const rssEnd = await rssKib(app.server.pid);
      // Every stream is still open (none dropped as too slow), the dashboard's too.
      const openAtEnd = await readMetric(base, "leadline_event_streams_open");
      await page.context().close();
      const figures = summarize(latencies);
      const cpuMsPerLead = cpuBefore && cpuAfter
        ? Math.round((cpuAfter.total - cpuBefore.total) / leads * 100) / 100
        : null;
      progress(
        `  webhook -> name: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms; server CPU ` +
          `${cpuMsPerLead} ms a lead; ${openAtEnd} streams open at the end`,
      );
      return {
        streams,
        round,
        latencies,
        cpuMsPerLead,
        rssBeforeKib: rssBefore,
        rssAfterKib: rssAfter,
        rssEndKib: rssEnd,
        kibPerStream,
        openAtEnd,
        uptime: await uptime(),
      };
    } finally {
      await extra.close();
    }
  } finally {
    await stop(app);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** A size's runs as one: every lead's latency pooled, each run's p50 and p99 beside. */
function pooled(sizeRuns: SizeRun[]) {
  const last = sizeRuns[sizeRuns.length - 1];
  const rounds = sizeRuns.map((r) => summarize(r.latencies));
  const cpu = sizeRuns.flatMap((r) => r.cpuMsPerLead === null ? [] : [r.cpuMsPerLead]);
  return {
    streams: last.streams,
    ...summarize(sizeRuns.flatMap((r) => r.latencies)),
    rounds: sizeRuns.length,
    roundP50Ms: rounds.map((r) => r.p50Ms),
    roundP99Ms: rounds.map((r) => r.p99Ms),
    cpuMsPerLead: cpu.length > 0 ? median(cpu) : null,
    rssBeforeKib: sizeRuns[0].rssBeforeKib,
    rssAfterKib: sizeRuns[0].rssAfterKib,
    rssEndKib: last.rssEndKib,
    kibPerStream: sizeRuns[0].kibPerStream,
    openAtEnd: last.openAtEnd,
    uptime: last.uptime,
  };
}

const bySize = new Map<number, SizeRun[]>();
let memory = null;
try {
  // Up to 1,000 streams, ROUNDS rounds of every size in turn (a machine that slows for a minute
  // slows one round of each, not every run of one size); past it, once.
  const sizes = STREAMS.filter((streams) => streams <= 1000);
  const bigSizes = STREAMS.filter((streams) => streams > 1000);
  const plan = [
    ...Array.from({ length: ROUNDS }, (_, i) => sizes.map((streams) => ({ streams, round: i + 1 })))
      .flat(),
    ...bigSizes.map((streams) => ({ streams, round: 1 })),
  ];
  for (const { streams, round } of plan) {
    const sizeRun = await measureSize(streams, streams > 1000 ? LEADS_BIG : LEADS, round);
    bySize.set(streams, [...(bySize.get(streams) ?? []), sizeRun]);
    if (streams === 1000 && round === 1 && sizeRun.kibPerStream !== null) {
      memory = {
        streams: streams - 1,
        rssBeforeKib: sizeRun.rssBeforeKib,
        rssAfterKib: sizeRun.rssAfterKib,
        kibPerStream: sizeRun.kibPerStream,
      };
    }
  }
  const runs = STREAMS.filter((streams) => bySize.has(streams))
    .map((streams) => pooled(bySize.get(streams)!));
  for (const run of runs) {
    if (run.rounds > 1) {
      progress(
        `${run.streams} stream(s), ${run.n} leads over ${run.rounds} rounds: p50 ${run.p50Ms} ms, ` +
          `p99 ${run.p99Ms} ms (each round's p99: ${run.roundP99Ms.join(", ")} ms)`,
      );
    }
  }

  progress(`polling path: the event stream blocked, ${POLL_LEADS} leads`);
  const app = await startServer(1);
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
      "clients in another process that read everything, each signed in on its own (the server " +
      "keeps at most 5 streams of one sign-in open), with the stream cap raised above them",
    leadsPerRun: LEADS,
    leadsPerBigRun: LEADS_BIG,
    rounds: ROUNDS,
    runs,
    memoryPerStream: memory,
    polling,
  });
} finally {
  await browser.close();
  await sim.close();
}
