// Many open dashboards in a process of their own (for benches and fault suites): N event streams
// over plain sockets that read (or, with "stall", never read) everything the server sends.
//
// Run: deno run -A tests/_helpers/sse_clients.ts <base url> <cookie> <count> [read|stall]
// Prints "open <n>" once every stream got its answer head, then keeps them open until stdin closes
// or it is killed; prints "closed <n>" for streams the server ended. `openStreams` does all that.

/** Streams opened by `openStreams`, in their own process. */
export interface StreamsProcess {
  count: number;
  /**
   * Closes them all and waits for the process to end; resolves with how many the server had
   * ended by then (for stalled streams: those it cut off).
   */
  close(): Promise<number>;
}

/** Opens `count` event streams from a separate process; resolves once all are open. */
export async function openStreams(
  baseUrl: string,
  cookie: string,
  count: number,
  mode: "read" | "stall" = "read",
): Promise<StreamsProcess> {
  if (count <= 0) return { count: 0, close: () => Promise.resolve(0) };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, baseUrl, cookie, String(count), mode],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(`open ${count}`)) {
    const { done, value } = await lines.read();
    if (done) throw new Error(`the streams process ended before opening ${count} streams`);
    text += value;
  }
  const stdin = child.stdin.getWriter();
  return {
    count,
    async close() {
      await stdin.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 20_000);
      let rest = "";
      while (!/closed \d+/.test(rest)) {
        const { done, value } = await lines.read();
        if (done) break;
        rest += value;
      }
      await child.status;
      clearTimeout(timer);
      await lines.cancel().catch(() => {});
      return Number(/closed (\d+)/.exec(rest)?.[1] ?? 0);
    },
  };
}

if (import.meta.main) await runClients(Deno.args);

async function runClients(args: string[]) {
  const [base, cookie, countRaw, mode = "read"] = args;
  const url = new URL(base);
  const count = Number(countRaw);
  const request = new TextEncoder().encode(
    [
      "GET /api/events HTTP/1.1",
      `host: ${url.host}`,
      "accept: text/event-stream",
      `cookie: ${cookie}`,
      "",
      "",
    ].join("\r\n"),
  );

  let closed = 0;
  const conns: Deno.Conn[] = [];

  async function openOne(): Promise<void> {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
    conns.push(conn);
    await conn.write(request);
    const buf = new Uint8Array(16 * 1024);
    // The answer's head, so the server has registered the stream.
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("the server closed a stream before answering");
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (!head.startsWith("HTTP/1.1 200")) {
      throw new Error(`a stream was refused: ${head.slice(0, 40)}`);
    }
    if (mode === "stall") return;
    (async () => {
      try {
        while ((await conn.read(buf)) !== null) { /* read and drop, as a browser would */ }
      } catch { /* closed */ }
      closed++;
    })();
  }

  // Open them a few at a time so the server's accept queue never overflows.
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => openOne()));
  }
  console.log(`open ${count}`);

  // Stay until the bench closes stdin, then close everything.
  for await (const _ of Deno.stdin.readable) { /* wait */ }
  if (mode === "stall") {
    // Now read what the stalled streams were sent: a stream the server cut off ends (EOF) once
    // its buffered bytes are read; one it kept open would block, so stop after a deadline.
    const deadline = Date.now() + 5_000;
    await Promise.all(conns.map(async (conn) => {
      const buf = new Uint8Array(64 * 1024);
      try {
        while (Date.now() < deadline) {
          const n = await Promise.race([
            conn.read(buf),
            new Promise<"open">((resolve) =>
              setTimeout(() => resolve("open"), Math.max(0, deadline - Date.now()))
            ),
          ]);
          if (n === "open") return;
          if (n === null) {
            closed++;
            return;
          }
        }
      } catch {
        closed++;
      }
    }));
  }
  for (const conn of conns) {
    try {
      conn.close();
    } catch { /* already closed */ }
  }
  console.log(`closed ${closed}`);
}
