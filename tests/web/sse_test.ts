import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import {
  createSseGroup,
  createSseStream,
  encodeSseFrame,
  type SseStream,
} from "../../lib/web/sse.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Reads a stream's body into a string as it comes. */
function collect(stream: SseStream) {
  const reader = stream.body.getReader();
  const out = { text: "", ended: false, error: null as unknown };
  const done = (async () => {
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        out.text += text(value);
      }
    } catch (error) {
      out.error = error;
    }
    out.ended = true;
  })();
  return { out, done, cancel: () => reader.cancel().catch(() => {}) };
}

Deno.test("[sse] a frame is encoded with one data line per line, and fields cannot hold line breaks", () => {
  assert.equal(
    text(encodeSseFrame({ event: "lead", data: "a\nb\r\nc", id: "7", retry: 2000 })),
    "event: lead\ndata: a\ndata: b\ndata: c\nid: 7\nretry: 2000\n\n",
  );
  assert.equal(text(encodeSseFrame({ comment: "heartbeat" })), ": heartbeat\n\n");
  assert.throws(() => encodeSseFrame({ event: "x\ndata: forged" }), /its event holds a line break/);
  assert.throws(() => encodeSseFrame({ id: "1\r2" }), /its id holds a line break/);
});

Deno.test("[sse] a stream sends what was written in order, joins a backlog and refuses past its queue", async () => {
  const stream = createSseStream({ maxQueued: 3 });
  const frames = ["a", "b", "c"].map((d) => encodeSseFrame({ data: d }));
  for (const frame of frames) assert.equal(stream.write(frame), true);
  assert.equal(
    stream.write(encodeSseFrame({ data: "d" })),
    false,
    "a fourth waiting frame is refused",
  );
  assert.notEqual(stream.waitingSince, null);
  const reader = collect(stream);
  await waitFor(() => reader.out.text === "data: a\n\ndata: b\n\ndata: c\n\n", "the three frames");
  assert.equal(stream.waitingSince, null);
  stream.close();
  await reader.done;
  assert.equal(reader.out.ended, true);
  assert.equal(stream.write(frames[0]), false, "nothing is written after close");
});

Deno.test("[sse] a cancelled body ends the stream and calls onCancel once", async () => {
  let cancels = 0;
  const stream = createSseStream({ onCancel: () => cancels++ });
  const reader = collect(stream);
  await reader.cancel();
  await reader.done;
  assert.equal(stream.ended, true);
  assert.equal(cancels, 1);
  assert.equal(stream.write(encodeSseFrame({ data: "x" })), false);
});

Deno.test("[sse] a group's streams all get the same heartbeat bytes from one timer", async () => {
  const heartbeat = encodeSseFrame({ comment: "heartbeat" });
  const realSetInterval = globalThis.setInterval;
  let intervals = 0;
  let timeouts = 0;
  const realSetTimeout = globalThis.setTimeout;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    intervals++;
    return realSetInterval(...args);
  }) as typeof setInterval;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timeouts++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  const streams = Array.from({ length: 50 }, () => createSseStream());
  const readers = streams.map(collect);
  try {
    const group = createSseGroup({
      heartbeatMs: 40,
      heartbeat,
      writeTimeoutMs: 60_000,
      onStalled: () => assert.fail("no reading stream stalls"),
    });
    for (const stream of streams) group.add(stream);
    assert.equal(group.size, 50);
  } finally {
    globalThis.setInterval = realSetInterval;
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(intervals, 1, "one timer for the group");
  assert.equal(timeouts, 0, "no timer per stream");
  await waitFor(
    () => readers.every((r) => r.out.text.length >= 2 * heartbeat.byteLength),
    "two heartbeats on every stream",
  );
  for (const stream of streams) stream.close();
  await Promise.all(readers.map((r) => r.done));
  for (const r of readers) assert.match(r.out.text, /^(: heartbeat\n\n)+$/);
});

Deno.test("[sse] a stream written to does not hear the heartbeat; one whose client stopped reading is handed to onStalled", async () => {
  const heartbeat = encodeSseFrame({ comment: "heartbeat" });
  const stalled: SseStream[] = [];
  const group = createSseGroup({
    heartbeatMs: 60_000,
    heartbeat,
    writeTimeoutMs: 100,
    onStalled: (stream) => stalled.push(stream),
  });
  const reading = createSseStream();
  const reader = collect(reading);
  const stuck = createSseStream(); // nobody reads its body
  group.add(reading);
  group.add(stuck);
  reading.write(encodeSseFrame({ data: "1" }));
  stuck.write(encodeSseFrame({ data: "1" }));
  stuck.write(encodeSseFrame({ data: "2" }));
  await waitFor(() => stalled.length === 1, "the stuck stream to be handed over");
  assert.equal(stalled[0], stuck);
  assert.equal(group.size, 1);
  stuck.abort();
  reading.close();
  await reader.done;
  assert.equal(reader.out.text, "data: 1\n\n", "no heartbeat within heartbeatMs of a write");
});
