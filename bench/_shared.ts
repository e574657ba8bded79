// What every bench part shares: machine facts, percentiles, the Leadline server as a real
// subprocess, the load generator process, Meta's sample receiver under Node, and result files.

import { signBody } from "../lib/facebook/signature.ts";
import { bytesToHex } from "../lib/crypto.ts";
import { drainLines } from "../tests/_helpers/server_process.ts";
import type { LoadResult } from "./_load.ts";

/** The repository root. */
export const ROOT = new URL("../", import.meta.url);
/** Where each part writes its figures (one JSON file per part); report.ts renders them. */
export const RESULTS = new URL("./results/", import.meta.url);

export const APP_SECRET = "bench-app-secret";
export const VERIFY_TOKEN = "bench-verify-token";
export const ACCESS_TOKEN = "bench-page-token";
export const ADMIN_EMAIL = "bench@example.com";
export const ADMIN_PASSWORD = "bench password 1234";

/** The machine and its load right now; recorded with every result since the machine is shared. */
export interface MachineInfo {
  at: string;
  cpus: number;
  cpuModel: string;
  memTotalMb: number;
  deno: string;
  node: string | null;
  /** `uptime` as printed (load averages over 1, 5 and 15 minutes). */
  uptime: string;
  loadAverage: number[];
}

/** Reads the machine's description and current load. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const loadavg = await Deno.readTextFile("/proc/loadavg").catch(() => "0 0 0");
  let node: string | null = null;
  try {
    const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
    node = new TextDecoder().decode(out.stdout).trim();
  } catch { /* no node */ }
  return {
    at: new Date().toISOString(),
    cpus: navigator.hardwareConcurrency,
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    memTotalMb: Math.round(Number(/MemTotal:\s*(\d+)/.exec(meminfo)?.[1] ?? 0) / 1024),
    deno: Deno.version.deno,
    node,
    uptime: await uptime(),
    loadAverage: loadavg.split(" ").slice(0, 3).map(Number),
  };
}

/** The `uptime` line (load averages), recorded beside each figure. */
export async function uptime(): Promise<string> {
  try {
    const out = await new Deno.Command("uptime", { stdout: "piped" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return (await Deno.readTextFile("/proc/loadavg").catch(() => "")).trim();
  }
}

/** The value at fraction `p` (0..1) of an ascending list, rounded to 0.01. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}

/** p50/p90/p99/max of unsorted samples. */
export function summarize(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: percentile(sorted, 1),
  };
}

/** Prints a progress line (stderr, so results on stdout stay clean). */
export function progress(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Writes one part's figures to bench/results/<name>.json. */
export async function writeResult(name: string, result: unknown): Promise<void> {
  await Deno.mkdir(RESULTS, { recursive: true });
  await Deno.writeTextFile(
    new URL(`${name}.json`, RESULTS),
    JSON.stringify(result, null, 2) + "\n",
  );
  progress(`wrote bench/results/${name}.json`);
}

/** The environment a subprocess needs to find Deno's cache, plus `env`. */
export function baseEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "" };
  for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value) base[name] = value;
  }
  return { ...base, ...env };
}

/** A running server subprocess. */
export interface ServerProcess {
  process: Deno.ChildProcess;
  url: string;
  pid: number;
  /** The last few hundred lines of output, for errors. */
  tail: string[];
  /** Lines of output seen so far. */
  lines(): number;
  /** Settles once its output is drained (after it ended). */
  drained: Promise<unknown>;
}

/** Drains a stream, keeping the last lines in `tail` and calling `onLine` for each. */
function drainKeepingTail(
  stream: ReadableStream<Uint8Array>,
  tail: string[],
  onLine: (line: string) => void,
): Promise<void> {
  return drainLines(stream, (line) => {
    tail.push(line);
    if (tail.length > 300) tail.splice(0, tail.length - 200);
    onLine(line);
  });
}

/** The live-mode environment of a Leadline server on `kvPath` whose Graph API is `graphUrl`. */
export function leadlineEnv(
  kvPath: string,
  graph: { url: string; version: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return baseEnv({
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    META_ACCESS_TOKEN: ACCESS_TOKEN,
    GRAPH_API_BASE: graph.url,
    GRAPH_API_VERSION: graph.version,
    LEADLINE_ADMIN_EMAIL: ADMIN_EMAIL,
    LEADLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    KV_PATH: kvPath,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "info",
    ...extra,
  });
}

/**
 * Starts `deno run -A main.ts` (or `args`) with exactly `env` and resolves once it logs
 * "listening". Its log lines are read and dropped, as a supervisor's pipe would take them.
 */
export async function startLeadline(
  env: Record<string, string>,
  options: { args?: string[]; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const process = new Deno.Command(Deno.execPath(), {
    args: options.args ?? ["run", "-A", "main.ts"],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  let count = 0;
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const onLine = (line: string) => {
    count++;
    if (!line.startsWith("{") || !line.includes('"listening"')) return;
    const entry = JSON.parse(line);
    if (entry.message === "listening") resolve(entry.url.replace(/\/$/, ""));
  };
  const drained = Promise.all([
    drainKeepingTail(process.stdout, tail, onLine),
    drainKeepingTail(process.stderr, tail, () => count++),
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`server did not start:\n${tail.join("\n")}`)),
      options.timeoutMs ?? 120_000,
    );
  });
  const exited = process.status.then((status) => {
    throw new Error(`server exited with ${status.code} before listening:\n${tail.join("\n")}`);
  });
  try {
    const url = await Promise.race([listening, timeout, exited]);
    return { process, url, pid: process.pid, tail, lines: () => count, drained };
  } catch (error) {
    killQuietly(process, "SIGKILL");
    await process.status;
    throw error;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
}

/** Sends a signal, ignoring a process that is already gone. */
export function killQuietly(process: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    process.kill(signal);
  } catch { /* already gone */ }
}

/** SIGTERM (SIGKILL after 15 s), then waits for the exit and the drained output. */
export async function stopServer(server: ServerProcess): Promise<void> {
  killQuietly(server.process, "SIGTERM");
  const timer = setTimeout(() => killQuietly(server.process, "SIGKILL"), 15_000);
  await server.process.status;
  clearTimeout(timer);
  await server.drained;
}

/** SIGKILL and wait. */
export async function killServer(server: ServerProcess): Promise<void> {
  killQuietly(server.process, "SIGKILL");
  await server.process.status;
  await server.drained;
}

/**
 * CPU time a process has used so far, in ms: in total (all threads) and in its main thread (the
 * JavaScript thread of Deno or Node); null when /proc cannot be read.
 */
export async function cpuTimeMs(pid: number): Promise<{ total: number; main: number } | null> {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, 100 ticks a second
  };
  try {
    const total = ticks(await Deno.readTextFile(`/proc/${pid}/stat`));
    const main = ticks(await Deno.readTextFile(`/proc/${pid}/task/${pid}/stat`));
    return { total, main };
  } catch {
    return null;
  }
}

/** Resident memory of a process in KiB (VmRSS), or null when it cannot be read. */
export async function rssKib(pid: number): Promise<number | null> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  const match = /VmRSS:\s*(\d+)\s*kB/.exec(status);
  return match ? Number(match[1]) : null;
}

/** One delivery as the load generator sends it: exact body and Meta's headers. */
export interface PreparedDelivery {
  body: string;
  headers: Record<string, string>;
}

async function sha1Signature(secret: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  return `sha1=${bytesToHex(await crypto.subtle.sign("HMAC", key, body))}`;
}

/** Signs `body` as Meta does: X-Hub-Signature-256 (sha256) and the legacy X-Hub-Signature (sha1). */
export async function prepareDelivery(body: string): Promise<PreparedDelivery> {
  const bytes = new TextEncoder().encode(body);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "facebookexternalua",
      "x-hub-signature-256": await signBody(APP_SECRET, bytes),
      "x-hub-signature": await sha1Signature(APP_SECRET, bytes),
    },
  };
}

/** What the load generator reports (its own type: the process prints it as JSON). */
export type LoadReport = LoadResult;

/** Runs the load generator as its own process against `url`; resolves with its report. */
export async function runLoadProcess(
  deliveries: PreparedDelivery[],
  url: string,
  concurrency: number,
): Promise<LoadReport> {
  const file = await Deno.makeTempFile({ prefix: "leadline_load_", suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(file, deliveries.map((d) => JSON.stringify(d)).join("\n") + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_load.ts", import.meta.url).pathname,
        file,
        url,
        String(
          concurrency,
        ),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    if (!out.success) {
      throw new Error(`load generator failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return JSON.parse(text.split("\n").at(-1)!);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/**
 * Meta's sample receiver (github.com/fbsamples/graph-api-webhooks-samples, node/index.js):
 * express + body-parser + express-x-hub, updates kept in an array, nothing durable. Two changes:
 * express-x-hub reads only `X-Hub-Signature`, which Meta signs with SHA-1, so a one-line
 * middleware hands it `X-Hub-Signature-256` and express-x-hub checks it with
 * `algorithm: 'sha256'` (the same HMAC-SHA256 Leadline checks); and it listens on 127.0.0.1 on
 * the port it is given. Its console.log lines are kept, as in the sample.
 */
export const SAMPLE_RECEIVER_JS = `
var bodyParser = require('body-parser');
var express = require('express');
var app = express();
var xhub = require('express-x-hub');

app.set('port', Number(process.env.PORT || 5000));

// Meta sends SHA-256 in X-Hub-Signature-256; express-x-hub reads X-Hub-Signature.
app.use(function (req, res, next) {
  if (req.headers['x-hub-signature-256']) {
    req.headers['x-hub-signature'] = req.headers['x-hub-signature-256'];
  }
  next();
});
app.use(xhub({ algorithm: 'sha256', secret: process.env.APP_SECRET }));
app.use(bodyParser.json());

var token = process.env.TOKEN || 'token';
var received_updates = [];

app.get('/', function(req, res) {
  res.send('<pre>' + JSON.stringify(received_updates.length) + '</pre>');
});

app.get(['/facebook', '/instagram', '/threads'], function(req, res) {
  if (
    req.query['hub.mode'] == 'subscribe' &&
    req.query['hub.verify_token'] == token
  ) {
    res.send(req.query['hub.challenge']);
  } else {
    res.sendStatus(400);
  }
});

app.post('/facebook', function(req, res) {
  console.log('Facebook request body:', req.body);

  if (!req.isXHubValid()) {
    console.log('Warning - request header X-Hub-Signature not present or invalid');
    res.sendStatus(401);
    return;
  }

  console.log('request header X-Hub-Signature validated');
  // Process the Facebook updates here
  received_updates.unshift(req.body);
  res.sendStatus(200);
});

var server = app.listen(app.get('port'), '127.0.0.1', function () {
  console.log('listening on ' + server.address().port);
});
`;

const SAMPLE_PACKAGES = ["express@5", "body-parser@2", "express-x-hub@1"];

/**
 * Installs the sample's packages with npm into a temporary folder (not the project) and returns
 * the folder with index.js written into it.
 */
export async function prepareSampleReceiver(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "leadline_meta_sample_" });
  await Deno.writeTextFile(`${dir}/package.json`, '{"name":"meta-sample","private":true}\n');
  await Deno.writeTextFile(`${dir}/index.js`, SAMPLE_RECEIVER_JS);
  const out = await new Deno.Command("npm", {
    args: ["install", "--no-audit", "--no-fund", "--silent", ...SAMPLE_PACKAGES],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `npm install of the sample's packages failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return dir;
}

/** The installed versions of the sample's packages. */
export async function sampleVersions(dir: string): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of ["express", "body-parser", "express-x-hub"]) {
    const pkg = JSON.parse(await Deno.readTextFile(`${dir}/node_modules/${name}/package.json`));
    versions[name] = pkg.version;
  }
  return versions;
}

/** Starts the sample under Node on 127.0.0.1; resolves once it listens. */
export async function startSampleReceiver(dir: string): Promise<ServerProcess> {
  const process = new Deno.Command("node", {
    args: ["index.js"],
    cwd: dir,
    env: { ...baseEnv({}), PORT: "0", APP_SECRET, TOKEN: VERIFY_TOKEN },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  let count = 0;
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const drained = Promise.all([
    drainKeepingTail(process.stdout, tail, (line) => {
      count++;
      const match = /^listening on (\d+)$/.exec(line);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    }),
    drainKeepingTail(process.stderr, tail, () => count++),
  ]);
  const url = await Promise.race([
    listening,
    process.status.then(() => {
      throw new Error(`the sample receiver exited:\n${tail.join("\n")}`);
    }),
  ]);
  return { process, url, pid: process.pid, tail, lines: () => count, drained };
}

/**
 * Adds a signed-in viewer to the KV at `kvPath` (before the server opens it; one process owns the
 * file while it runs) and returns its `Cookie` header value.
 */
export async function benchSession(kvPath: string): Promise<string> {
  return (await benchSessions(kvPath, 1))[0];
}

/**
 * Like `benchSession`, with `count` sign-ins of the viewer (one per open dashboard: the server
 * keeps at most SSE_MAX_STREAMS_PER_SESSION streams of one session open, so a thousand streams of
 * one cookie would be five open streams and the rest ended as replaced).
 */
export async function benchSessions(kvPath: string, count: number): Promise<string[]> {
  const { createUser } = await import("../lib/auth/users.ts");
  const { createSession } = await import("../lib/auth/sessions.ts");
  const { SESSION_COOKIE } = await import("../lib/auth_web/cookies.ts");
  const kv = await Deno.openKv(kvPath);
  try {
    const user = await createUser(kv, {
      email: "viewer@bench.example",
      name: "Bench Viewer",
      role: "agent",
      password: "bench viewer password 1234",
    }, { iterations: 1_000 });
    const cookies: string[] = [];
    for (let i = 0; i < count; i++) {
      cookies.push(`${SESSION_COOKIE}=${(await createSession(kv, user)).id}`);
    }
    return cookies;
  } finally {
    kv.close();
  }
}

/** The token `leadlineEnv` callers pass as METRICS_TOKEN to read a server's /metrics. */
export const BENCH_METRICS_TOKEN = "bench-metrics-token-0123456789abcdef";

/** A gauge or counter's value from the server's /metrics (read with BENCH_METRICS_TOKEN). */
export async function readMetric(baseUrl: string, name: string): Promise<number | null> {
  const res = await fetch(`${baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text}`);
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : null;
}

export { openStreams, type StreamsProcess } from "../tests/_helpers/sse_clients.ts";

/** A free loopback port (free a moment ago). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Every follower of the lead change log (the FOLLOWER of each module that keeps one). */
export const LEAD_FOLLOWERS = [
  "contact_index",
  "reconcile_pages",
  "meta_repeat_submissions",
  "meta_health_lead_origins",
  "lead_events",
];
