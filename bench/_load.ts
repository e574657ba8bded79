// The load generator: a separate process that sends pre-built signed deliveries over keep-alive
// HTTP/1.1 connections and reports deliveries/s and ack latencies as one JSON line on stdout.
//
// Run: deno run -A bench/_load.ts <requests.jsonl> <url> <concurrency>
// Each line of requests.jsonl is {"body": "<exact JSON text>", "headers": {...}}. Requests are sent
// in file order, each once, by `concurrency` workers on their own connection (as wrk does). Raw
// sockets rather than fetch(): the client's own cost stays small, so the server is what is measured.

/** What one run reports. */
export interface LoadResult {
  requests: number;
  concurrency: number;
  /** Wall time from the first request written to the last answer read. */
  durationMs: number;
  perSecond: number;
  /** Ack latency: request written -> whole answer read. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Index (in the file) of every request answered 200. */
  ok: number[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Builds the exact bytes of each request once, before the clock starts. */
function buildRequests(lines: string[], url: URL): Uint8Array[] {
  return lines.map((line) => {
    const { body, headers } = JSON.parse(line) as { body: string; headers: Record<string, string> };
    const bytes = encoder.encode(body);
    const head = [
      `POST ${url.pathname} HTTP/1.1`,
      `host: ${url.host}`,
      `content-length: ${bytes.byteLength}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ].join("\r\n") + "\r\n\r\n";
    const headBytes = encoder.encode(head);
    const out = new Uint8Array(headBytes.byteLength + bytes.byteLength);
    out.set(headBytes);
    out.set(bytes, headBytes.byteLength);
    return out;
  });
}

/** Reads one HTTP/1.1 answer from `conn`; returns its status. Keeps leftover bytes in `state`. */
async function readAnswer(
  conn: Deno.Conn,
  state: { buf: Uint8Array; len: number },
): Promise<number> {
  while (true) {
    const end = findHeadEnd(state.buf, state.len);
    if (end >= 0) {
      const head = decoder.decode(state.buf.subarray(0, end)).toLowerCase();
      const status = Number(head.slice(9, 12));
      const lengthMatch = /\r\ncontent-length:\s*(\d+)/.exec(head);
      let total: number;
      if (lengthMatch) {
        total = end + 4 + Number(lengthMatch[1]);
        while (state.len < total) await fill(conn, state);
      } else if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
        total = await chunkedEnd(conn, state, end + 4);
      } else {
        total = end + 4;
      }
      state.buf.copyWithin(0, total, state.len);
      state.len -= total;
      return status;
    }
    await fill(conn, state);
  }
}

async function fill(conn: Deno.Conn, state: { buf: Uint8Array; len: number }) {
  if (state.len === state.buf.byteLength) {
    const bigger = new Uint8Array(state.buf.byteLength * 2);
    bigger.set(state.buf);
    state.buf = bigger;
  }
  const n = await conn.read(state.buf.subarray(state.len));
  if (n === null) throw new Error("the server closed the connection");
  state.len += n;
}

function findHeadEnd(buf: Uint8Array, len: number): number {
  for (let i = 0; i + 3 < len; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** Where a chunked body that starts at `start` ends (after its last chunk's CRLF). */
async function chunkedEnd(
  conn: Deno.Conn,
  state: { buf: Uint8Array; len: number },
  start: number,
): Promise<number> {
  let at = start;
  while (true) {
    let lineEnd = -1;
    while (lineEnd < 0) {
      for (let i = at; i + 1 < state.len; i++) {
        if (state.buf[i] === 13 && state.buf[i + 1] === 10) {
          lineEnd = i;
          break;
        }
      }
      if (lineEnd < 0) await fill(conn, state);
    }
    const size = parseInt(decoder.decode(state.buf.subarray(at, lineEnd)), 16);
    const next = lineEnd + 2 + size + 2;
    while (state.len < next) await fill(conn, state);
    at = next;
    if (size === 0) return at;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return Math.round(sorted[index] * 100) / 100;
}

/** Sends every request once with `concurrency` connections; resolves with the figures. */
export async function runLoad(
  requests: Uint8Array[],
  url: URL,
  concurrency: number,
): Promise<LoadResult> {
  const conns = await Promise.all(
    Array.from(
      { length: Math.min(concurrency, requests.length) },
      () => Deno.connect({ hostname: url.hostname, port: Number(url.port) }),
    ),
  );
  for (const conn of conns) conn.setNoDelay(true);
  const latencies = new Float64Array(requests.length);
  const statuses: Record<string, number> = {};
  const ok: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(conns.map(async (conn) => {
    const state = { buf: new Uint8Array(16 * 1024), len: 0 };
    while (next < requests.length) {
      const index = next++;
      const sentAt = performance.now();
      let written = 0;
      const bytes = requests[index];
      while (written < bytes.byteLength) written += await conn.write(bytes.subarray(written));
      const status = await readAnswer(conn, state);
      latencies[index] = performance.now() - sentAt;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === 200) ok.push(index);
    }
  }));
  const durationMs = performance.now() - started;
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    requests: requests.length,
    concurrency,
    durationMs: Math.round(durationMs * 10) / 10,
    perSecond: Math.round(requests.length / (durationMs / 1000)),
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: percentile(sorted, 1),
    statuses,
    ok: ok.sort((a, b) => a - b),
  };
}

if (import.meta.main) {
  const [file, target, concurrencyRaw] = Deno.args;
  if (!file || !target) {
    console.error("usage: deno run -A bench/_load.ts <requests.jsonl> <url> [concurrency]");
    Deno.exit(2);
  }
  const url = new URL(target);
  const lines = (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");
  const requests = buildRequests(lines, url);
  const result = await runLoad(requests, url, Number(concurrencyRaw ?? 32));
  console.log(JSON.stringify(result));
}
