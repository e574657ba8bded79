// Raw HTTP/1.1 over a socket: sends a request line exactly as written (no URL normalisation, as
// `fetch` and `new Request` would do) and reads the whole answer, within the shared wait's deadline.

import { DEFAULT_WAIT_MS } from "./wait.ts";

/** What came back from {@linkcode rawRequest}. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
}

/** Options for {@linkcode rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Sends `METHOD target HTTP/1.1` to `base` (e.g. `http://127.0.0.1:41234`) with `target` untouched,
 * so `/./team`, `//api/x` or `/a/../b` reach the server as typed. The connection closes after one
 * answer; bodies must be plain (not chunked) for reading, which is what the app sends.
 */
export async function rawRequest(
  base: string,
  target: string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const { hostname, port, host } = new URL(base);
  const body = options.body ?? "";
  const lines = [
    `${options.method ?? "GET"} ${target} HTTP/1.1`,
    `host: ${host}`,
    "connection: close",
    ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
  ];
  if (body !== "") lines.push(`content-length: ${new TextEncoder().encode(body).length}`);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  // `connection: close`: the server ends the answer by closing; one that never does fails here.
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    conn.close();
  }, DEFAULT_WAIT_MS);
  try {
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n" + body));
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    const buf = new Uint8Array(16 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (error) {
        if (late) throw new Error(`No complete answer to ${target} within ${DEFAULT_WAIT_MS} ms`);
        throw error;
      }
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    clearTimeout(timer);
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    const split = indexOfBlankLine(bytes);
    const decoder = new TextDecoder();
    const head = decoder.decode(split === -1 ? bytes : bytes.subarray(0, split));
    const [statusLine, ...headerLines] = head.split("\r\n");
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const status = Number(statusLine.split(" ")[1]);
    if (!Number.isInteger(status)) throw new Error(`Cannot read raw response: "${statusLine}"`);
    let rest: Uint8Array = split === -1 ? new Uint8Array() : bytes.subarray(split + 4);
    if (headers.get("transfer-encoding")?.includes("chunked")) rest = unchunk(rest);
    return { status, headers, body: decoder.decode(rest) };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed by the server.
    }
  }
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function unchunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    let eol = at;
    while (eol + 1 < bytes.length && !(bytes[eol] === 13 && bytes[eol + 1] === 10)) eol++;
    const size = parseInt(new TextDecoder().decode(bytes.subarray(at, eol)), 16);
    if (!size) break;
    parts.push(bytes.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
