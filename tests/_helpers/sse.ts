// Test helper: reads a text/event-stream response message by message (comments included); every
// read has a deadline, so a message that never comes fails the test instead of hanging it.

import { DEFAULT_WAIT_MS } from "./wait.ts";

/** One message of an event stream, or a comment line (`: heartbeat`). */
export interface SseMessage {
  event?: string;
  id?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/** A reader over an event-stream body. */
export interface SseReader {
  /** The next message or comment; null once the stream has ended. */
  next(): Promise<SseMessage | null>;
  /** The next message that is not a comment; null once the stream has ended. */
  nextEvent(): Promise<SseMessage | null>;
  /** Stops reading and lets the server see the browser go. */
  close(): Promise<void>;
}

/**
 * Wraps `res.body` in a reader that splits it into messages. A read that gets nothing within
 * `timeoutMs` (default {@linkcode DEFAULT_WAIT_MS}) throws.
 */
export function readSse(res: Response, options: { timeoutMs?: number } = {}): SseReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const pending: SseMessage[] = [];
  let done = false;

  function parseBlock(block: string) {
    const message: SseMessage = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        pending.push({ comment: line.slice(1).trim() });
        continue;
      }
      const at = line.indexOf(":");
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "event") message.event = value;
      else if (field === "id") message.id = value;
      else if (field === "retry") message.retry = Number(value);
      else if (field === "data") message.data = message.data ? `${message.data}\n${value}` : value;
    }
    if (Object.keys(message).length > 0) pending.push(message);
  }

  // A read that outlived a deadline is picked up by the next call, so no chunk is lost.
  let reading: Promise<ReadableStreamReadResult<string>> | null = null;

  async function next(): Promise<SseMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (pending.length === 0) {
      if (done) return null;
      reading ??= reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const { value, done: ended } = await Promise.race([
        reading,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`No event-stream message within ${timeoutMs} ms`)),
            Math.max(0, deadline - Date.now()),
          );
        }),
      ]).finally(() => clearTimeout(timer));
      reading = null;
      if (ended) {
        done = true;
        if (buffer.trim()) parseBlock(buffer);
        buffer = "";
        continue;
      }
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    return pending.shift()!;
  }

  return {
    next,
    async nextEvent() {
      while (true) {
        const message = await next();
        if (message === null || message.comment === undefined) return message;
      }
    },
    async close() {
      done = true;
      await reader.cancel().catch(() => {});
    },
  };
}
