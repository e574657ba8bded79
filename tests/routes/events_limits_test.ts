// The event stream's guards, on a real 127.0.0.1 server: revoked sessions lose their streams at
// once, a cursor from the future gets a reset, one session cannot take every slot, and a client
// that stops reading is dropped.

import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { SESSION_COOKIE } from "../../lib/auth_web/cookies.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { stopServing } from "../../main.ts";
import { createTestApp, startTestServer, type TestServer, type TestUser } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { readSse, type SseMessage, type SseReader } from "../_helpers/sse.ts";

/** Long enough for anything that should happen; reaching it fails the test rather than hang. */
const DEADLINE_MS = 15_000;

async function insert(server: TestServer, count: number): Promise<Lead[]> {
  const leads = Array.from({ length: count }, () => testMetaLead());
  for (let i = 0; i < leads.length; i += 100) {
    await server.app.services.leads.insertLeads(leads.slice(i, i + 100));
  }
  return leads;
}

async function open(server: TestServer, cookie: string, headers: HeadersInit = {}) {
  const res = await fetch(`${server.url}/api/events`, {
    headers: { cookie, ...Object.fromEntries(new Headers(headers)) },
  });
  if (res.status !== 200) assert.fail(`GET /api/events: ${res.status} ${await res.text()}`);
  const reader = readSse(res);
  const ready = await reader.nextEvent();
  assert.equal(ready?.event, "ready");
  return { reader, ready: ready! };
}

/** Every event until the stream ends; throws when it is still open at the deadline. */
async function untilEnd(reader: SseReader, what: string): Promise<SseMessage[]> {
  const events: SseMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: the stream is still open after ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
  });
  try {
    while (true) {
      const message = await Promise.race([reader.nextEvent(), deadline]);
      if (message === null) return events;
      events.push(message);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The next event that is not a heartbeat, within the deadline. */
async function nextEvent(reader: SseReader): Promise<SseMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no event before the deadline")), DEADLINE_MS);
  });
  try {
    while (true) {
      const message = await Promise.race([reader.nextEvent(), deadline]);
      assert.ok(message, "the stream ended");
      if (message.event !== "heartbeat") return message;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function adminCall(server: TestServer, path: string, init: RequestInit): Promise<void> {
  const res = await server.fetch(path, {
    ...init,
    headers: { "content-type": "application/json", ...init.headers },
  });
  if (!res.ok) assert.fail(`${init.method} ${path}: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/**
 * Revokes, then creates a lead: the watcher's stream gets it (so it went out after the revocation),
 * and each revoked stream ends without it.
 */
async function expectEnded(
  server: TestServer,
  watcher: SseReader,
  streams: SseReader[],
  revoke: () => Promise<void>,
): Promise<void> {
  await revoke();
  const [lead] = await insert(server, 1);
  const seen = await nextEvent(watcher);
  assert.equal(seen.event, "lead");
  assert.equal(JSON.parse(seen.data!).id, lead.id, "the lead went out after the revocation");
  for (const stream of streams) {
    const after = await untilEnd(stream, "revoked stream");
    assert.deepEqual(after.filter((m) => m.event === "lead"), [], "no lead after revocation");
  }
}

Deno.test("[e2e] GET /api/events ends a user's streams at once when they are disabled, removed, signed out or given a new password", async (t) => {
  // The periodic check is far away: only the revocation itself can end the streams in time.
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "60000", SSE_SESSION_CHECK_MS: "3600000" },
  });
  const readers: SseReader[] = [];
  try {
    const watcher = await open(server, server.user.cookie);
    readers.push(watcher.reader);

    await t.step("disabled by an admin through the API", async () => {
      const agent = await server.addUser("agent");
      const a = await open(server, agent.cookie);
      const b = await open(server, agent.cookie);
      readers.push(a.reader, b.reader);
      await expectEnded(
        server,
        watcher.reader,
        [a.reader, b.reader],
        () =>
          adminCall(server, `/api/admin/users/${agent.id}`, {
            method: "PATCH",
            body: JSON.stringify({ disabled: true }),
          }),
      );
    });

    await t.step("removed by an admin through the API", async () => {
      const agent = await server.addUser("agent");
      const a = await open(server, agent.cookie);
      readers.push(a.reader);
      await expectEnded(
        server,
        watcher.reader,
        [a.reader],
        () => adminCall(server, `/api/admin/users/${agent.id}`, { method: "DELETE" }),
      );
    });

    await t.step(
      "signed out in another tab; the same user's other sign-in keeps its stream",
      async () => {
        const agent = await server.addUser("agent");
        const other = await createSession(server.kv, agent);
        const otherCookie = `${SESSION_COOKIE}=${other.id}`;
        const signedOut = await open(server, agent.cookie);
        const kept = await open(server, otherCookie);
        readers.push(signedOut.reader, kept.reader);
        await expectEnded(server, watcher.reader, [signedOut.reader], async () => {
          const res = await fetch(`${server.url}/logout`, {
            method: "POST",
            redirect: "manual",
            headers: { cookie: agent.cookie, origin: server.url },
          });
          assert.equal(res.status, 303);
          await res.body?.cancel();
        });
        const stillLive = await nextEvent(kept.reader);
        assert.equal(stillLive.event, "lead", "the other sign-in still streams");
      },
    );

    await t.step("given a new password by an admin", async () => {
      const agent = await server.addUser("agent");
      const a = await open(server, agent.cookie);
      readers.push(a.reader);
      await expectEnded(
        server,
        watcher.reader,
        [a.reader],
        () =>
          adminCall(server, `/api/admin/users/${agent.id}`, {
            method: "PATCH",
            body: JSON.stringify({ password: "a brand new long password" }),
          }),
      );
    });
    assert.equal(server.app.services.live.size, 2, "the admin's and the kept sign-in's streams");
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events ends a stream at the next session check once its session has expired", async () => {
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "60000", SSE_SESSION_CHECK_MS: "100" },
  });
  const readers: SseReader[] = [];
  try {
    const agent = await server.addUser("agent");
    // The shortest session there is; nothing renews it (streams never extend a session).
    const short = await createSession(server.kv, agent, { ttlMs: 1000 });
    const expiring = await open(server, `${SESSION_COOKIE}=${short.id}`);
    const lasting = await open(server, agent.cookie);
    readers.push(expiring.reader, lasting.reader);
    await untilEnd(expiring.reader, "expired session's stream");
    assert.ok(Date.now() >= short.expiresAt, "it ended only once the session was over");
    const [lead] = await insert(server, 1);
    const seen = await nextEvent(lasting.reader);
    assert.equal(JSON.parse(seen.data!).id, lead.id, "a live session's stream stays open");
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events with a cursor past the server's head gets a reset, then live leads", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "60000" } });
  const readers: SseReader[] = [];
  try {
    await insert(server, 2);
    await waitFor(
      () => server.app.services.live.head === 2,
      "the hub to see both leads",
      DEADLINE_MS,
    );
    const ways: [string, Record<string, string>][] = [
      ["/api/events", { "last-event-id": "1000" }],
      ["/api/events?since=1000", {}],
    ];
    for (const [path, headers] of ways) {
      const res = await server.fetch(path, { headers });
      assert.equal(res.status, 200);
      const reader = readSse(res);
      readers.push(reader);
      const ready = await nextEvent(reader);
      assert.equal(ready.event, "ready");
      const reset = await nextEvent(reader);
      assert.equal(reset.event, "reset", `${path}: a cursor from the future is a reset`);
      assert.equal(JSON.parse(reset.data!).cursor, String(server.app.services.live.head));
      assert.equal(reset.id, JSON.parse(reset.data!).cursor);
      const [lead] = await insert(server, 1);
      const live = await nextEvent(reader);
      assert.equal(live.event, "lead");
      assert.equal(JSON.parse(live.data!).id, lead.id);
      assert.equal(Number(live.id), Number(reset.id) + 1);
    }
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events: one session opening many streams keeps only its newest, and others still get one", async () => {
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "60000", SSE_MAX_STREAMS: "4", SSE_MAX_STREAMS_PER_SESSION: "2" },
  });
  const readers: SseReader[] = [];
  try {
    const tabs = [];
    for (let i = 0; i < 6; i++) {
      const tab = await open(server, server.user.cookie);
      readers.push(tab.reader);
      tabs.push(tab.reader);
    }
    // Each older stream was told why it ended (the page then polls for a while), then ended.
    for (const [i, tab] of tabs.slice(0, 4).entries()) {
      const last = await untilEnd(tab, `tab ${i}`);
      assert.deepEqual(last.map((m) => m.event), ["replaced"]);
    }
    assert.equal(server.app.services.live.size, 2);
    const agent = await server.addUser("agent");
    const theirs = await open(server, agent.cookie);
    readers.push(theirs.reader);
    const [lead] = await insert(server, 1);
    for (const reader of [tabs[4], tabs[5], theirs.reader]) {
      assert.equal(JSON.parse((await nextEvent(reader)).data!).id, lead.id);
    }
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

/** Opens /api/events over a raw socket and never reads a byte of the answer. */
async function openStalled(server: TestServer, user: TestUser): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(server.url).port),
  });
  const request = [
    "GET /api/events HTTP/1.1",
    `host: ${new URL(server.url).host}`,
    `cookie: ${user.cookie}`,
    "accept: text/event-stream",
    "",
    "",
  ].join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  return conn;
}

Deno.test("[e2e] GET /api/events drops a client that stops reading, even when few events wait, and frees its slot", async () => {
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "60000", SSE_MAX_STREAMS: "2", SSE_WRITE_TIMEOUT_MS: "500" },
  });
  const readers: SseReader[] = [];
  let stalled: Deno.TcpConn | null = null;
  try {
    const agent = await server.addUser("agent");
    const latecomer = await server.addUser("agent");
    stalled = await openStalled(server, agent);
    await waitFor(
      () => server.app.services.live.size === 1,
      "the stalled stream to open",
      DEADLINE_MS,
    );
    const reading = await open(server, server.user.cookie);
    readers.push(reading.reader);
    const full = await fetch(`${server.url}/api/events`, {
      headers: { cookie: latecomer.cookie },
    });
    assert.equal(full.status, 503, "every slot is taken");
    await full.body?.cancel();

    // About 16 MB of leads: more than the sockets between us and the stalled client hold (a few
    // MB on loopback), so its writes block, yet far fewer than the 2,000 events a stream may
    // have waiting: the buffer never overflows, only the write deadline can free the slot.
    let received = 0;
    const draining = (async () => {
      while (true) {
        const message = await reading.reader.nextEvent();
        if (message === null) return;
        if (message.event === "lead") received++;
      }
    })();
    const leads = Array.from({ length: 1000 }, () => ({
      ...testMetaLead(),
      notes: "n".repeat(16_000),
    }));
    for (let i = 0; i < leads.length; i += 20) {
      await server.app.services.leads.insertLeads(leads.slice(i, i + 20));
    }
    await waitFor(() => received === leads.length, "the reader to get every lead", DEADLINE_MS);
    await waitFor(
      () => server.app.services.live.size === 1,
      "the stalled client to be dropped",
      DEADLINE_MS,
    );

    const now = await open(server, latecomer.cookie);
    readers.push(now.reader);
    assert.ok(
      server.logs.some((line) =>
        line.includes("event stream ended by the server") &&
        line.includes("client stopped reading")
      ),
      "the drop is logged with its reason",
    );
    await reading.reader.close();
    await draining;
  } finally {
    // A socket nobody reads would hold the server's graceful shutdown.
    stalled?.close();
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] stopping the server goes on after the drain deadline when a client stopped reading", async () => {
  const kv = await Deno.openKv(":memory:");
  const testApp = await createTestApp({ kv, env: { SSE_HEARTBEAT_MS: "60000" } });
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    testApp.app.fetch,
  );
  testApp.app.listening(server.addr);
  const base = { url: `http://127.0.0.1:${server.addr.port}` } as TestServer;
  let stalled: Deno.TcpConn | null = null;
  try {
    stalled = await openStalled(base, testApp.user);
    await waitFor(
      () => testApp.app.services.live.size === 1,
      "the stalled stream to open",
      DEADLINE_MS,
    );
    // More than the sockets hold: the server has bytes for this client it can never send.
    const leads = Array.from({ length: 1000 }, () => ({
      ...testMetaLead(),
      notes: "n".repeat(16_000),
    }));
    for (let i = 0; i < leads.length; i += 20) {
      await testApp.app.services.leads.insertLeads(leads.slice(i, i + 20));
    }
    await waitFor(
      () => testApp.app.services.live.head === 1000,
      "the hub to fan every lead out",
      DEADLINE_MS,
    );

    let timer: ReturnType<typeof setTimeout> | undefined;
    const drained = await Promise.race([
      stopServing(testApp.app, server, 200),
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error("the stop hung")), DEADLINE_MS)
      ),
    ]);
    clearTimeout(timer);
    assert.equal(drained, false, "the stalled connection was still open");
    assert.ok(testApp.logs.some((line) => line.includes("stopping with connections still open")));
  } finally {
    stalled?.close();
    await server.finished;
    kv.close();
  }
});
