// Fault injection for the simulator: scripted Graph API errors, rate limits and slow answers.

/** Which Graph endpoint a call hit. "other" is anything else (an unknown path). */
export type SimCallKind =
  | "lead"
  | "form"
  | "form_leads"
  | "page_forms"
  | "page"
  | "subscribed_apps"
  | "debug_token"
  | "accounts"
  | "dataset_events"
  | "other";

/** Every call kind, for counters and fault validation. */
export const SIM_CALL_KINDS: readonly SimCallKind[] = [
  "lead",
  "form",
  "form_leads",
  "page_forms",
  "page",
  "subscribed_apps",
  "debug_token",
  "accounts",
  "dataset_events",
  "other",
];

/** A scripted failure for the next matching Graph calls. */
export interface FaultOptions {
  /** Which calls it hits; default "any". */
  path?: Exclude<SimCallKind, "other"> | "any";
  /** HTTP status; defaults from the code (e.g. 190 -> 400, 1 -> 500, 2 -> 503). */
  status?: number;
  /** Meta error code; defaults from the status (5xx -> 1 or 2, 429 -> 4, 4xx -> 100). */
  code?: number;
  subcode?: number;
  message?: string;
  /** Delay before answering (with the fault's error, or normally when no error is set). */
  latencyMs?: number;
  /**
   * Holds the answer until this settles (after `latencyMs`, if set), or the simulator closes: a
   * test releases it once it has seen what happens meanwhile, rather than hoping a delay is long
   * enough. In-process only (a promise cannot come through the control API).
   */
  until?: Promise<unknown>;
  /** How many calls it hits; default Infinity. */
  times?: number;
  /**
   * The share of matching calls it hits, 0 to 1, each call drawn at random (default 1: every
   * one). With `times`, only the calls it hits count.
   */
  rate?: number;
  /** Adds an X-Business-Use-Case-Usage header with this estimated_time_to_regain_access. */
  bucRegainMinutes?: number;
}

/** A Meta-style error to answer with. */
export interface SimError {
  status: number;
  code: number;
  subcode?: number;
  message: string;
  type: string;
  isTransient: boolean;
}

interface ActiveFault extends FaultOptions {
  remaining: number;
}

const RATE_LIMIT_MESSAGES: Record<number, string> = {
  4: "Application request limit reached",
  17: "User request limit reached",
  32: "Page request limit reached",
  613: "Calls to this api have exceeded the rate limit.",
};

function isRateLimit(code: number): boolean {
  return code in RATE_LIMIT_MESSAGES || (code >= 80000 && code < 80100);
}

function defaultCode(status: number): number {
  if (status === 503) return 2;
  if (status >= 500) return 1;
  if (status === 429) return 4;
  return 100;
}

function defaultStatus(code: number): number {
  if (code === 1) return 500;
  if (code === 2) return 503;
  if (code === 10 || (code >= 200 && code <= 299)) return 403;
  return 400;
}

function defaultMessage(code: number): string {
  if (code === 190) return "Error validating access token: Session has expired.";
  if (code === 1) return "An unknown error occurred";
  if (code === 2) return "An unexpected error has occurred. Please retry your request later.";
  if (code === 10 || (code >= 200 && code <= 299)) {
    return "(#200) Requires pages_read_engagement and leads_retrieval permission";
  }
  if (code in RATE_LIMIT_MESSAGES) return RATE_LIMIT_MESSAGES[code];
  if (code >= 80000 && code < 80100) {
    return "There have been too many calls to this Page account. Wait a bit and try again.";
  }
  return "Invalid parameter";
}

/** Builds the Meta error a fault answers with, filling status, code and message defaults. */
export function faultError(fault: FaultOptions): SimError | null {
  if (fault.status === undefined && fault.code === undefined && fault.message === undefined) {
    return null;
  }
  const code = fault.code ?? defaultCode(fault.status ?? 500);
  return {
    status: fault.status ?? defaultStatus(code),
    code,
    subcode: fault.subcode,
    message: fault.message ?? defaultMessage(code),
    type: code === 100 ? "GraphMethodException" : "OAuthException",
    isTransient: code === 1 || code === 2 || isRateLimit(code),
  };
}

/** The list of active faults, consumed in the order they were added. */
export class FaultList {
  #faults: ActiveFault[] = [];

  /** Adds a fault; throws when its options make no sense. */
  add(options: FaultOptions): void {
    const times = options.times ?? Infinity;
    if (!(times > 0)) throw new Error("Cannot inject fault: times must be positive");
    if (options.latencyMs !== undefined && !(options.latencyMs >= 0)) {
      throw new Error("Cannot inject fault: latencyMs must be zero or more");
    }
    if (options.until !== undefined && typeof options.until?.then !== "function") {
      throw new Error("Cannot inject fault: until must be a promise (in-process only)");
    }
    if (options.status !== undefined && !(options.status >= 400 && options.status <= 599)) {
      throw new Error("Cannot inject fault: status must be between 400 and 599");
    }
    for (const name of ["code", "subcode"] as const) {
      if (options[name] !== undefined && !Number.isInteger(options[name])) {
        throw new Error(`Cannot inject fault: ${name} must be an integer`);
      }
    }
    if (options.message !== undefined && typeof options.message !== "string") {
      throw new Error("Cannot inject fault: message must be a string");
    }
    if (options.rate !== undefined && !(options.rate > 0 && options.rate <= 1)) {
      throw new Error("Cannot inject fault: rate must be above 0 and at most 1");
    }
    if (options.bucRegainMinutes !== undefined && !(options.bucRegainMinutes >= 0)) {
      throw new Error("Cannot inject fault: bucRegainMinutes must be zero or more");
    }
    const paths: unknown[] = [
      ...SIM_CALL_KINDS.filter((kind) => kind !== "other"),
      "any",
      undefined,
    ];
    if (!paths.includes(options.path)) {
      throw new Error(`Cannot inject fault: unknown path "${options.path}"`);
    }
    this.#faults.push({ ...options, remaining: times });
  }

  /** Removes every fault and returns how many there were. */
  clear(): number {
    const count = this.#faults.length;
    this.#faults = [];
    return count;
  }

  /** Number of active faults. */
  get size(): number {
    return this.#faults.length;
  }

  /** Takes one use of the first fault that matches a call (and, with a rate, hits it), or null. */
  take(kind: SimCallKind): FaultOptions | null {
    const index = this.#faults.findIndex((fault) =>
      ((fault.path ?? "any") === "any" || fault.path === kind) &&
      (fault.rate === undefined || Math.random() < fault.rate)
    );
    if (index < 0) return null;
    const fault = this.#faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
