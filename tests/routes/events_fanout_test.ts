import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";

const STREAMS = 30;
/** The timer functions as they were, so waiting here arms no timer the test counts. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** Opens `count` event streams and collects each one's raw bytes as text. */
async function openRaw(server: TestServer, count: number) {
  const waiters = new Set<() => void>();
  const streams = await Promise.all(Array.from({ length: count }, async () => {
    const res = await server.fetch("/api/events");
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const state = { text: "", reader, done: (async () => {})() };
    const decoder = new TextDecoder();
    state.done = (async () => {
      try {
        while (true) {
          const { done, value } = await reader.read();
          if (done) break;
          state.text += decoder.decode(value, { stream: true });
          for (const check of [...waiters]) check();
        }
      } catch { /* cancelled */ }
    })();
    return state;
  }));
  return {
    streams,
    /** Resolves once `cond` holds, checking as bytes arrive; fails after 15 s. */
    until(cond: () => boolean, what: string): Promise<void> {
      if (cond()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = realSetTimeout(() => {
          waiters.delete(check);
          reject(new Error(`Gave up waiting for ${what}`));
        }, 15_000);
        const check = () => {
          if (!cond()) return;
          waiters.delete(check);
          realClearTimeout(timer);
          resolve();
        };
        waiters.add(check);
      });
    },
    async close() {
      for (const s of streams) await s.reader.cancel().catch(() => {});
      await Promise.all(streams.map((s) => s.done));
    },
  };
}

/** Counts calls of `obj[name]` (e.g. JSON.stringify, setTimeout) while `fn` runs. */
async function counting<T extends object, K extends keyof T>(
  obj: T,
  name: K,
  match: (args: unknown[], result: unknown) => boolean,
  fn: () => Promise<void>,
): Promise<number> {
  const original = obj[name] as (...args: unknown[]) => unknown;
  let calls = 0;
  (obj as Record<K, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (match(args, result)) calls++;
    return result;
  };
  try {
    await fn();
  } finally {
    (obj as Record<K, unknown>)[name] = original;
  }
  return calls;
}

Deno.test("[e2e] GET /api/events encodes a lead once for every open stream, and each stream gets the same bytes", async () => {
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "600000", SSE_MAX_STREAMS_PER_SESSION: String(STREAMS + 5) },
  });
  const raw = await openRaw(server, STREAMS);
  try {
    await waitFor(
      () => raw.streams.every((s) => s.text.includes("event: ready")),
      "every stream to be ready",
    );
    assert.equal(server.app.services.live.size, STREAMS);
    const lead = testMetaLead();
    const stringified = await counting(
      JSON,
      "stringify",
      (_args, result) => typeof result === "string" && result.includes(lead.id),
      async () => {
        await server.app.services.leads.insertLeads([lead]);
        await waitFor(
          () => raw.streams.every((s) => s.text.includes(lead.id)),
          "the lead to reach every stream",
        );
      },
    );
    // Before: one JSON.stringify (and one frame) per stream, 30 more here. A few others (the
    // store's and the logs') do not depend on the number of streams.
    assert.ok(
      stringified < STREAMS / 3,
      `the lead was serialised ${stringified} times for ${STREAMS}`,
    );
    const frames = raw.streams.map((s) => s.text.slice(s.text.indexOf("event: lead")));
    for (const frame of frames) assert.equal(frame, frames[0], "every stream got the same bytes");
    assert.match(frames[0], /^event: lead\ndata: \{.*\}\nid: \d+\n\n$/);
  } finally {
    await raw.close();
    await server.close();
  }
});

Deno.test("[e2e] GET /api/events: idle streams hear the heartbeat from one shared timer, not one each", async () => {
  const server = await startTestServer({
    env: { SSE_HEARTBEAT_MS: "100", SSE_MAX_STREAMS_PER_SESSION: String(STREAMS + 5) },
  });
  const raw = await openRaw(server, STREAMS);
  try {
    await waitFor(
      () => raw.streams.every((s) => s.text.includes("event: ready")),
      "every stream to be ready",
    );
    const beats = (text: string) =>
      text.split(": heartbeat\nevent: heartbeat\ndata: {}\n\n").length - 1;
    const seen = raw.streams.map((s) => beats(s.text));
    let intervals = 0;
    const timeouts = await counting(globalThis, "setTimeout", () => true, async () => {
      intervals = await counting(globalThis, "setInterval", () => true, () =>
        raw.until(
          () => raw.streams.every((s, i) => beats(s.text) >= seen[i] + 3),
          "three more heartbeats on every stream",
        ));
    });
    const timers = timeouts + intervals;
    // Before: each stream armed a timer for every heartbeat it waited for (and one per write),
    // 3 × 30 at least here; now one timer ticks for all of them (other timers of the app aside).
    assert.ok(timers < STREAMS, `${timers} timers armed for ${STREAMS} streams' heartbeats`);
  } finally {
    await raw.close();
    await server.close();
  }
});
