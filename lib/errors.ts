// Errors the core throws on purpose: each names the kind of failure it is, and lib/web maps a kind
// to an HTTP status in one place, so the core knows nothing of HTTP and routes translate nothing.

/** What went wrong, in terms a caller can act on. */
export type ErrorKind =
  /** The input breaks a rule; the message says which (400). */
  | "invalid_input"
  /** What was asked for does not exist (404). */
  | "not_found"
  /** The state does not allow it now: someone else got there first, the last admin (409). */
  | "conflict"
  /** This actor may not do it (403). */
  | "forbidden"
  /** Nothing is wrong with the request, but it cannot be served now; try again later (503). */
  | "unavailable";

/** Options of {@linkcode DomainError}. */
export interface DomainErrorOptions {
  /** Extra JSON-safe fields an answer carries beside the message, e.g. `fields` or `owner`. */
  details?: Record<string, unknown>;
  /** For `unavailable`: how long to wait before trying again. */
  retryAfterSeconds?: number;
  /** The error that caused this one. */
  cause?: unknown;
}

/** An error thrown on purpose by the core: its message is safe to show, its kind says what it is. */
export class DomainError extends Error {
  /** What kind of failure this is. */
  readonly kind: ErrorKind;
  /** Extra JSON-safe fields for an answer, e.g. field-by-field reasons. */
  readonly details: Record<string, unknown> | undefined;
  /** For `unavailable`: seconds to wait before trying again. */
  readonly retryAfterSeconds: number | undefined;

  /** Makes the error; `message` says what went wrong and why, and is safe to show. */
  constructor(kind: ErrorKind, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A paging cursor that is not one we gave out (hand-edited, or from another store). */
export class InvalidCursorError extends DomainError {
  /** Makes the error; `message` names the list and the cursor. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}
