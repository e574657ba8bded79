// SIGTERM and SIGINT against a real `deno run main.ts`: the server ends the event streams with a
// retry hint, refuses new requests, lets a webhook delivery whose body is still arriving finish
// and commit, and exits 0; the restarted server has the lead.

import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createTestUser } from "../_helpers/app.ts";
import { readSse } from "../_helpers/sse.ts";
import { ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN } from "../_helpers/pipeline.ts";
import { DEFAULT_WAIT_MS, waitFor } from "../_helpers/wait.ts";
import {
  baseEnv,
  type ServerProcess,
  startServer,
  stopServer,
} from "../_helpers/server_process.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Reads from `conn` until `done(text so far)` holds or the peer closes; returns the text. Throws
 * (and closes the connection) when that takes longer than the shared wait's deadline.
 */
async function readUntil(conn: Deno.Conn, done: (text: string) => boolean): Promise<string> {
  let text = "";
  const buf = new Uint8Array(16 * 1024);
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    conn.close();
  }, DEFAULT_WAIT_MS);
  try {
    while (!done(text)) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
  } catch (error) {
    if (late) throw new Error(`Gave up reading after ${DEFAULT_WAIT_MS} ms; got: ${text}`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (late) throw new Error(`Gave up reading after ${DEFAULT_WAIT_MS} ms; got: ${text}`);
  return text;
}

/** True once nothing listens on `url`'s port any more. */
async function refusesConnections(url: string): Promise<true | null> {
  const { hostname, port } = new URL(url);
  try {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    conn.close();
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) return true;
    throw error;
  }
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`[stop] ${signal}: ends the event stream with a retry hint, refuses new requests, commits the delivery in flight, exits 0`, async () => {
    const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
    const dir = await Deno.makeTempDir({ prefix: "leadline-stop-" });
    const kvPath = `${dir}/leadline.kv`;
    const setup = await Deno.openKv(kvPath);
    const admin = await createTestUser(setup, "admin");
    setup.close();
    const env = baseEnv({
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: VERIFY_TOKEN,
      META_ACCESS_TOKEN: ACCESS_TOKEN,
      GRAPH_API_BASE: sim.url,
      GRAPH_API_VERSION: sim.version,
      KV_PATH: kvPath,
      PORT: "0",
      HOSTNAME: "127.0.0.1",
      LOG_LEVEL: "info",
    });
    let server: ServerProcess | null = null;
    let restarted: ServerProcess | null = null;
    let conn: Deno.Conn | null = null;
    try {
      const first = server = await startServer(env);

      // A dashboard's event stream.
      const stream = await fetch(`${first.url}/api/events`, {
        headers: { cookie: admin.cookie, accept: "text/event-stream" },
      });
      assert.equal(stream.status, 200);
      const events = readSse(stream);
      assert.equal((await events.nextEvent())?.event, "ready");

      // A delivery in flight: headers and half the body sent. `Expect: 100-continue` makes the
      // server say when its handler has taken the request and started reading the body.
      const simLead = sim.createLead();
      const body = encoder.encode(sim.webhookBody([simLead]));
      const signature = await signBody(APP_SECRET, body);
      const { port } = new URL(first.url);
      conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
      await conn.write(encoder.encode(
        [
          "POST /webhook HTTP/1.1",
          `host: 127.0.0.1:${port}`,
          "content-type: application/json",
          `content-length: ${body.byteLength}`,
          `x-hub-signature-256: ${signature}`,
          "expect: 100-continue",
          "connection: close",
          "",
          "",
        ].join("\r\n"),
      ));
      const interim = await readUntil(conn, (text) => text.includes("\r\n\r\n"));
      assert.match(interim, /^HTTP\/1\.1 100 Continue\r\n/, interim);
      const half = Math.floor(body.byteLength / 2);
      await conn.write(body.subarray(0, half));

      first.process.kill(signal);

      // The stream is told to come back later, then ends.
      const hint = await events.nextEvent();
      assert.equal(hint?.event, "shutdown");
      assert.equal(hint?.retry, 2000);
      assert.equal(await events.nextEvent(), null, "the stream ended");

      // No new request is taken while the delivery is still in flight: come back later.
      const refused = await waitFor(async () => {
        const res = await fetch(`${first.url}/health`);
        await res.body?.cancel();
        return res.status === 503 ? res : null;
      }, "new requests to be refused");
      assert.equal(refused.headers.get("retry-after"), "5");

      // The rest of the body arrives: the delivery is answered and committed.
      await conn.write(body.subarray(half));
      const answer = await readUntil(conn, () => false);
      conn.close();
      conn = null;
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/, answer + first.output.join("\n"));
      const ack = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
      assert.equal(ack.inserted, 1);

      const status = await first.process.status;
      await first.drained;
      server = null;
      assert.equal(status.code, 0, first.output.join("\n"));
      assert.equal(status.signal, null);
      assert.equal(await refusesConnections(first.url), true, "nothing listens any more");
      const logs = first.output.filter((line) => line.startsWith("{")).map((l) => JSON.parse(l));
      assert.ok(logs.some((line) => line.message === "shutting down"));
      assert.ok(
        !logs.some((line) => line.message.startsWith("stopping with connections still open")),
        "every connection drained before the deadline",
      );

      // After a restart on the same KV file the lead is there, with its details.
      const second = restarted = await startServer(env);
      const lead = await waitFor(async () => {
        const res = await fetch(`${second.url}/api/leads`, { headers: { cookie: admin.cookie } });
        const { leads } = await res.json();
        const found = leads.find((l: { leadgenId: string }) => l.leadgenId === simLead.id);
        return found?.details === "fetched" ? found : null;
      }, "the lead to be listed, fetched, after the restart");
      assert.equal(lead.fullName, simLead.fields.fullName);
      await stopServer(second);
      restarted = null;
      assert.equal((await second.process.status).code, 0);
    } finally {
      conn?.close();
      for (const child of [server, restarted]) {
        if (!child) continue;
        try {
          child.process.kill("SIGKILL");
        } catch { /* gone */ }
        await child.process.status;
        await child.drained;
      }
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("[stop] SIGTERM the moment the server says it listens is a graceful stop (exit 0)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-stop-early-" });
  const env = baseEnv({
    KV_PATH: `${dir}/leadline.kv`,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    GRAPH_SIMULATOR_PORT: "0",
    LOG_LEVEL: "info",
  });
  try {
    for (let round = 0; round < 3; round++) {
      const child = await startServer(env);
      child.process.kill("SIGTERM");
      const status = await child.process.status;
      await child.drained;
      assert.equal(status.code, 0, `round ${round}: ${child.output.join("\n")}`);
      assert.ok(child.output.some((line) => line.includes('"message":"shutting down"')));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
