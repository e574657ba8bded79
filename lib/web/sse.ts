// Server-sent events for many open streams at once: a frame is encoded once and the same bytes are
// queued on every stream, each stream is a plain ReadableStream with a bounded queue, and one timer
// per group sends the heartbeats and cuts off the clients that stopped reading.

const encoder = new TextEncoder();

/** One message of an event stream (or a comment line, which EventSource ignores). */
export interface SseFrame {
  /** A comment line first (`: heartbeat`), for proxies that close idle connections. */
  comment?: string;
  event?: string;
  /** Split at line breaks into `data:` lines. */
  data?: string;
  /** The event id a reconnecting browser sends back as `Last-Event-ID`. */
  id?: string;
  /** How long the browser waits before reconnecting, in ms. */
  retry?: number;
}

/**
 * The bytes of one frame, ending with the blank line that dispatches it. Encode a frame once and
 * write the same bytes to every stream that should get it. Throws when `event`, `id` or `comment`
 * holds a line break (it would end the field early and could forge others).
 */
export function encodeSseFrame(frame: SseFrame): Uint8Array<ArrayBuffer> {
  let text = "";
  if (frame.comment !== undefined) text += `: ${singleLine("comment", frame.comment)}\n`;
  if (frame.event !== undefined) text += `event: ${singleLine("event", frame.event)}\n`;
  if (frame.data !== undefined) {
    for (const line of frame.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  }
  if (frame.id !== undefined) text += `id: ${singleLine("id", frame.id)}\n`;
  if (frame.retry !== undefined) text += `retry: ${Math.max(0, Math.floor(frame.retry))}\n`;
  return encoder.encode(text + "\n");
}

function singleLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new TypeError(`Cannot encode an event-stream frame: its ${field} holds a line break`);
  }
  return value;
}

/** Options of `createSseStream`. */
export interface SseStreamOptions {
  /** Frames that may wait for a client that reads slowly before `write` refuses (default 2,000). */
  maxQueued?: number;
  /** Called once when the client went away (the server cancelled the body), not after `close`. */
  onCancel?: () => void;
}

/**
 * One client's event stream: `body` is the response body, and `write` queues bytes without
 * waiting. Bytes go to the server the moment it asks for more (it asks once the socket took the
 * last ones), so a client that stops reading leaves its frames queued here: `write` refuses once
 * `maxQueued` wait, and `waitingSince` says since when the client has taken nothing.
 */
export interface SseStream {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  /** Queues `bytes`; false when the stream has ended or `maxQueued` frames already wait. */
  write(bytes: Uint8Array): boolean;
  /**
   * Ends the answer once what is queued has gone out; with `graceMs`, aborts it when that has not
   * happened within `graceMs` (a client that stopped reading). Idempotent.
   */
  close(graceMs?: number): void;
  /** Ends the answer now, dropping what is queued (nothing more reaches the client). */
  cutOff(): void;
  /**
   * Aborts the answer, dropping what is queued: for a client that stopped reading, whose
   * connection a clean end would never leave (its last bytes cannot go out).
   */
  abort(): void;
  /** True once `close`, `cutOff`, `abort` or the client ended it. */
  readonly ended: boolean;
  /** Since when (ms since the epoch) queued bytes wait for the client; null when none wait. */
  readonly waitingSince: number | null;
  /** Ticks of its group since the last write (see `SseGroup`); a write sets it to 0. */
  idleTicks: number;
}

/** Makes an event stream; see `SseStream`. */
export function createSseStream(options: SseStreamOptions = {}): SseStream {
  return new QueuedSseStream(options.maxQueued ?? 2000, options.onCancel);
}

/** Frames are joined into one chunk up to this size when several wait at a pull. */
const JOIN_MAX_BYTES = 64 * 1024;

class QueuedSseStream implements SseStream {
  readonly body: ReadableStream<Uint8Array>;
  idleTicks = 0;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #queue: Uint8Array[] = [];
  /** The server asked for bytes and got none yet: the next write goes straight out. */
  #asked = false;
  #state: "open" | "closing" | "ended" = "open";
  #waitingSince: number | null = null;
  #grace: ReturnType<typeof setTimeout> | undefined;
  #maxQueued: number;
  #onCancel: (() => void) | undefined;

  constructor(maxQueued: number, onCancel: (() => void) | undefined) {
    this.#maxQueued = maxQueued;
    this.#onCancel = onCancel;
    // No queue of the stream's own (high water mark 0): `pull` runs only when the server asks.
    this.body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => this.#pull(),
      cancel: () => {
        const wasOpen = this.#state !== "ended";
        this.#end();
        if (wasOpen) this.#onCancel?.();
      },
    }, { highWaterMark: 0 });
  }

  get ended(): boolean {
    return this.#state !== "open";
  }

  get waitingSince(): number | null {
    return this.#waitingSince;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#state !== "open") return false;
    this.idleTicks = 0;
    if (this.#asked) {
      this.#asked = false;
      this.#controller.enqueue(bytes);
      return true;
    }
    if (this.#queue.length >= this.#maxQueued) return false;
    if (this.#queue.length === 0) this.#waitingSince = Date.now();
    this.#queue.push(bytes);
    return true;
  }

  close(graceMs?: number): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    if (this.#queue.length === 0) this.#finish();
    else if (graceMs !== undefined) this.#grace = setTimeout(() => this.abort(), graceMs);
  }

  cutOff(): void {
    if (this.#state === "ended") return;
    this.#queue = [];
    this.#finish();
  }

  abort(): void {
    if (this.#state === "ended") return;
    this.#end();
    try {
      this.#controller.error(new Error("Event stream aborted: the client stopped reading"));
    } catch { /* already closed */ }
  }

  #pull(): void {
    const queue = this.#queue;
    if (queue.length === 0) {
      this.#asked = true;
      return;
    }
    let chunk = queue.shift()!;
    if (queue.length > 0 && chunk.byteLength < JOIN_MAX_BYTES) {
      // A backlog (a slow moment, a catch-up): fewer, larger writes.
      const parts = [chunk];
      let size = chunk.byteLength;
      while (queue.length > 0 && size + queue[0].byteLength <= JOIN_MAX_BYTES) {
        const next = queue.shift()!;
        parts.push(next);
        size += next.byteLength;
      }
      chunk = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        chunk.set(part, at);
        at += part.byteLength;
      }
    }
    this.#waitingSince = queue.length > 0 ? Date.now() : null;
    this.#controller.enqueue(chunk);
    if (queue.length === 0 && this.#state === "closing") this.#finish();
  }

  #finish(): void {
    this.#end();
    try {
      this.#controller.close();
    } catch { /* already closed */ }
  }

  #end(): void {
    clearTimeout(this.#grace);
    this.#state = "ended";
    this.#queue = [];
    this.#waitingSince = null;
  }
}

/** Options of `createSseGroup`. */
export interface SseGroupOptions {
  /** A stream that got nothing for about this long gets `heartbeat` (ms). */
  heartbeatMs: number;
  /** The bytes of the heartbeat frame, the same for every stream. */
  heartbeat: Uint8Array;
  /** A client that took nothing of what waits for it for this long has stopped reading (ms). */
  writeTimeoutMs: number;
  /** Called for a stream whose client stopped reading; the group forgets it first. */
  onStalled(stream: SseStream): void;
}

/**
 * Streams that share one timer: it ticks every half of the shorter of `heartbeatMs` and
 * `writeTimeoutMs` while the group holds a stream. A stream written nothing for about
 * `heartbeatMs` (never longer) gets the heartbeat at a tick, and one whose client took nothing of
 * what waits for `writeTimeoutMs` is handed to `onStalled`. No stream has a timer of its own.
 */
export interface SseGroup {
  /** Adds a stream; it leaves the group once it has ended. */
  add(stream: SseStream): void;
  /** Streams in the group. */
  readonly size: number;
}

/** Makes a group; see `SseGroup`. */
export function createSseGroup(options: SseGroupOptions): SseGroup {
  const streams = new Set<SseStream>();
  const tickMs = Math.max(10, Math.min(options.heartbeatMs, options.writeTimeoutMs) / 2);
  // A stream last written between two ticks hears the heartbeat `idleTicks` ticks later: at
  // least (idle - 1) and less than `idle` tick periods after that write, so within heartbeatMs.
  const idle = Math.max(2, Math.floor(options.heartbeatMs / tickMs));
  let timer: ReturnType<typeof setInterval> | undefined;

  function tick() {
    const now = Date.now();
    for (const stream of streams) {
      if (stream.ended) {
        streams.delete(stream);
        continue;
      }
      const since = stream.waitingSince;
      if (since !== null && now - since >= options.writeTimeoutMs) {
        streams.delete(stream);
        options.onStalled(stream);
        continue;
      }
      if (++stream.idleTicks >= idle) stream.write(options.heartbeat);
    }
    if (streams.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    add(stream) {
      streams.add(stream);
      timer ??= setInterval(tick, tickMs);
    },
    get size() {
      return streams.size;
    },
  };
}
