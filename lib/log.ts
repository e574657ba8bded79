// Structured logging: one JSON line per event on stdout, with secrets masked.

import type { LogLevel } from "./config.ts";

/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Where finished lines go; tests collect them to assert that secrets never appear. */
export type LogSink = (line: string) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const SECRET_KEY = /token|secret|password|signature|authorization|cookie|proof|session/i;

/** Lines held for stdout at most; past it new lines are counted and dropped, never waited for. */
const STDOUT_BUFFER_MAX_BYTES = 8 * 1024 * 1024;
const encoder = new TextEncoder();

/** A sink that writes lines to stdout without blocking the caller; see `stdoutSink`. */
export interface StdoutSink extends LogSink {
  /** Resolves once every line handed over so far is written. */
  flush(): Promise<void>;
  /** Writes what is still held at once, blocking (for the moment the process exits). */
  flushSync(): void;
}

/**
 * The default sink: lines are queued and written to stdout by one asynchronous write per batch,
 * so a request never waits for the terminal or the pipe of a supervisor (console.log writes
 * synchronously, and a slow reader stalled every request behind it). Lines still queued when
 * the process exits (Deno.exit, an uncaught error) are written synchronously then; only a
 * SIGKILL loses the last few milliseconds of them. A stdout that stops reading fills the queue
 * up to 8 MiB; lines past that are dropped and counted in a line written once it drains.
 */
export function stdoutSink(): StdoutSink {
  let queue: string[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  let writing: Promise<void> | null = null;

  function take(): Uint8Array | null {
    if (dropped > 0) {
      queue.push(JSON.stringify({
        time: new Date().toISOString(),
        level: "warn",
        message: `${dropped} log lines dropped: stdout was not keeping up`,
      }));
      dropped = 0;
    }
    if (queue.length === 0) return null;
    const text = queue.join("\n") + "\n";
    queue = [];
    queuedBytes = 0;
    return encoder.encode(text);
  }

  async function drain() {
    try {
      // Lines logged in the same tick go out in one write.
      await Promise.resolve();
      for (let bytes = take(); bytes !== null; bytes = take()) {
        for (let at = 0; at < bytes.byteLength;) {
          at += await Deno.stdout.write(bytes.subarray(at));
        }
      }
    } catch {
      // stdout is closed: nothing more can be written, and logging must never throw.
      queue = [];
      queuedBytes = 0;
    } finally {
      writing = null;
    }
  }

  const sink = ((line: string) => {
    if (queuedBytes + line.length > STDOUT_BUFFER_MAX_BYTES) {
      dropped++;
      return;
    }
    queue.push(line);
    queuedBytes += line.length + 1;
    writing ??= drain();
  }) as StdoutSink;
  sink.flush = async () => {
    while (writing) await writing;
  };
  sink.flushSync = () => {
    const bytes = take();
    if (bytes === null) return;
    try {
      for (let at = 0; at < bytes.byteLength;) at += Deno.stdout.writeSync(bytes.subarray(at));
    } catch { /* stdout is closed */ }
  };
  return sink;
}

let defaultSink: StdoutSink | null = null;

/** The process's stdout sink, made once, with its exit hooks. */
function processSink(): StdoutSink {
  if (defaultSink) return defaultSink;
  const sink = defaultSink = stdoutSink();
  // An async write still in flight finishes on its own; what is queued behind it goes now.
  const flushNow = () => sink.flushSync();
  globalThis.addEventListener("unload", flushNow);
  globalThis.addEventListener("error", flushNow);
  globalThis.addEventListener("unhandledrejection", flushNow);
  return sink;
}

/** Waits until every line logged to stdout so far is written (e.g. before Deno.exit). */
export async function flushLogs(): Promise<void> {
  await defaultSink?.flush();
}

/** Creates a logger writing JSON lines at or above `level`, to stdout unless `sink` is given. */
export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {},
): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? processSink();
  const base = options.fields ?? {};
  function write(at: Exclude<LogLevel, "silent">, message: string, fields?: LogFields) {
    if (ORDER[at] < ORDER[level]) return;
    const line = { time: new Date().toISOString(), level: at, message, ...base, ...fields };
    sink(JSON.stringify(redact(line)));
  }
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ level, sink, fields: { ...base, ...fields } }),
  };
}

/** Masks values under keys that name a secret, at any depth; turns errors into plain fields. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && v !== null && typeof v !== "boolean" ? "[redacted]" : redact(
        v,
        depth + 1,
      );
    }
    return out;
  }
  return value;
}
