import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { readSse, type SseReader } from "../_helpers/sse.ts";

async function insert(server: TestServer, count: number): Promise<Lead[]> {
  const leads: Lead[] = [];
  for (let i = 0; i < count; i++) {
    const lead = testMetaLead();
    await server.app.services.leads.insertLeads([lead]);
    leads.push(lead);
  }
  return leads;
}

/** The hub learns of commits through kv.watch, a moment after them; wait until it has. */
async function hubAt(server: TestServer, head: number): Promise<void> {
  await waitFor(() => server.app.services.live.head >= head, `the hub to see change ${head}`);
  assert.equal(server.app.services.live.head, head, "the hub saw the commits");
}

async function open(server: TestServer, path = "/api/events", headers: HeadersInit = {}) {
  const res = await server.fetch(path, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  return readSse(res);
}

async function events(reader: SseReader, count: number) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const message = await reader.nextEvent();
    assert.ok(message, `stream ended after ${i} events`);
    out.push(message);
  }
  return out;
}

Deno.test("[e2e] GET /api/events streams each lead change with its seq as id", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "60000" } });
  const readers: SseReader[] = [];
  try {
    await insert(server, 2);
    await hubAt(server, 2);
    const reader = await open(server);
    readers.push(reader);
    const [ready] = await events(reader, 1);
    assert.equal(ready.event, "ready");
    assert.equal(ready.id, "2", "a first connect without a cursor starts at the head");
    assert.equal(ready.retry, 2000);
    const leads = await insert(server, 3);
    const got = await events(reader, 3);
    assert.deepEqual(got.map((m) => m.event), ["lead", "lead", "lead"]);
    assert.deepEqual(got.map((m) => m.id), ["3", "4", "5"]);
    const bodies = got.map((m) => JSON.parse(m.data!));
    assert.deepEqual(bodies.map((b) => b.id), leads.map((l) => l.id));
    assert.equal(bodies[0].leadgenId, leads[0].leadgenId, "Meta ids stay strings");
    assert.equal(bodies[0].details, "pending");

    // An update (details fetched) is pushed as the lead's new state.
    await server.app.services.leads.updateLead(
      leads[0].id,
      (lead) => ({ ...lead, fullName: "Dana Smith", details: "fetched" }),
    );
    const [updated] = await events(reader, 1);
    assert.equal(updated.id, "6");
    assert.equal(JSON.parse(updated.data!).fullName, "Dana Smith");
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events resumes after Last-Event-ID (or ?since=) in order, once each", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "60000" } });
  const readers: SseReader[] = [];
  try {
    await insert(server, 7);
    const resumed = await open(server, "/api/events", { "last-event-id": "3" });
    readers.push(resumed);
    const got = await events(resumed, 5);
    assert.equal(got[0].event, "ready");
    assert.equal(got[0].id, "3");
    assert.deepEqual(got.slice(1).map((m) => m.id), ["4", "5", "6", "7"]);
    await insert(server, 1);
    assert.equal((await events(resumed, 1))[0].id, "8", "then live changes follow");

    const fromQuery = await open(server, "/api/events?since=6");
    readers.push(fromQuery);
    assert.deepEqual((await events(fromQuery, 3)).map((m) => m.id), ["6", "7", "8"]);

    // The header wins over the query: EventSource keeps its first URL when it reconnects.
    const both = await open(server, "/api/events?since=1", { "last-event-id": "7" });
    readers.push(both);
    assert.deepEqual((await events(both, 2)).map((m) => m.id), ["7", "8"]);

    const bad = await server.fetch("/api/events?since=abc");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /since must be a change cursor/);
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events sends a heartbeat comment on an idle stream", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "50" } });
  const reader = await open(server);
  try {
    assert.equal((await reader.next())?.event, "ready");
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await reader.next(), { comment: "heartbeat" });
      // EventSource never shows comments to a page: the event lets it notice a silent stream.
      assert.deepEqual(await reader.next(), { event: "heartbeat", data: "{}" });
    }
  } finally {
    await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events past the cap answers 503 with Retry-After; a freed slot is reused", async () => {
  const server = await startTestServer({
    env: { SSE_MAX_STREAMS: "2", SSE_HEARTBEAT_MS: "60000" },
  });
  const readers: SseReader[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const reader = await open(server);
      readers.push(reader);
      await reader.nextEvent();
    }
    const refused = await server.fetch("/api/events");
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "5");
    assert.match((await refused.json()).error, /all 2 slots are taken/);

    await readers.shift()!.close();
    // The server sees the browser go when its next write fails or the body is cancelled.
    const reopened = await waitFor(async () => {
      const res = await server.fetch("/api/events");
      if (res.status === 200) return res;
      assert.equal(res.status, 503, "the only refusal is a full hub");
      await res.body?.cancel();
      return null;
    }, "the slot of a closed stream to be given back");
    readers.push(readSse(reopened));
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events ends with a retry hint when the server shuts down", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "60000" } });
  const reader = await open(server);
  try {
    assert.equal((await reader.nextEvent())?.event, "ready");
    await server.app.services.live.stop();
    const last = await reader.nextEvent();
    assert.equal(last?.event, "shutdown");
    assert.equal(last?.retry, 2000);
    assert.equal(await reader.next(), null, "the stream ends");
    const refused = await server.fetch("/api/events");
    assert.equal(refused.status, 503);
    await refused.body?.cancel();
  } finally {
    await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events needs a session", async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(server.url + "/api/events");
    assert.equal(res.status, 401);
    await res.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] HEAD /api/events answers the headers and leaves no subscription open", async () => {
  const server = await startTestServer();
  try {
    const res = await server.fetch("/api/events", { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(await res.text(), "");
    await waitFor(
      () => server.app.services.live.size === 0,
      "the HEAD request's subscription to be closed",
    );
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events sends the alerts with ready, then every alert change", async () => {
  const server = await startTestServer({ env: { SSE_HEARTBEAT_MS: "60000" } });
  const readers: SseReader[] = [];
  const { alerts } = server.app.services;
  try {
    await alerts.setAlert({ kind: "permission_denied", pageId: "222", message: "Grant it." });
    await waitFor(() => server.app.services.live.alerts.length > 0, "the hub to see the alert");
    const reader = await open(server);
    readers.push(reader);
    const [ready] = await events(reader, 1);
    assert.equal(ready.event, "ready");
    assert.deepEqual(JSON.parse(ready.data!).alerts.map((a: { pageId: string }) => a.pageId), [
      "222",
    ]);

    await alerts.setAlert({ kind: "token_expired", pageId: "111", message: "Renew the token." });
    const [raised] = await events(reader, 1);
    assert.equal(raised.event, "alerts");
    assert.equal(raised.id, undefined, "alerts leave the change cursor alone");
    const list = JSON.parse(raised.data!);
    assert.deepEqual(list.map((a: { kind: string }) => a.kind), [
      "permission_denied",
      "token_expired",
    ]);
    assert.equal(list[1].message, "Renew the token.");

    await alerts.clearAlert("permission_denied", "222");
    await alerts.clearAlert("token_expired", "111");
    // One list per change the hub sees (commits close together may share one): ends empty.
    let last = JSON.parse((await events(reader, 1))[0].data!);
    if (last.length > 0) last = JSON.parse((await events(reader, 1))[0].data!);
    assert.deepEqual(last, []);
  } finally {
    for (const reader of readers) await reader.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/leads?since= carries the alerts for the polling fallback", async () => {
  const server = await startTestServer();
  try {
    const empty = await (await server.fetch("/api/leads?since=0")).json();
    assert.deepEqual(empty.alerts, []);
    await server.app.services.alerts.setAlert({
      kind: "token_expired",
      pageId: "111",
      message: "Renew the token.",
    });
    const res = await server.fetch("/api/leads?since=0");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.alerts.map((a: { kind: string; pageId: string }) => [a.kind, a.pageId]), [
      ["token_expired", "111"],
    ]);
  } finally {
    await server.close();
  }
});
