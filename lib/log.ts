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

/** Creates a logger writing JSON lines at or above `level`. */
export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {},
): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? ((line) => console.log(line));
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
