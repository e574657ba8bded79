// Errors and HTTP statuses in one place: typed HTTP errors thrown by routes, the core's error kinds
// mapped to their statuses, and the JSON answer both become.

import { DomainError, type ErrorKind } from "../errors.ts";

/** An error whose message is safe to show the client, with the status it maps to. */
export class HttpError extends Error {
  /** HTTP status code. */
  readonly status: number;
  /** Extra headers for the response, e.g. `Retry-After`. */
  readonly headers: Record<string, string>;
  /** Extra JSON fields for the response body, e.g. field-by-field reasons. */
  readonly details: Record<string, unknown> | undefined;
  constructor(
    status: number,
    message: string,
    options: { headers?: Record<string, string>; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = options.headers ?? {};
    this.details = options.details;
  }
}

/** The HTTP status of each kind of error the core throws on purpose. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
};

/** What an error thrown on purpose answers: its status, extra headers and extra body fields. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  details: Record<string, unknown> | undefined;
}

/**
 * How an error thrown on purpose is answered: an {@linkcode HttpError} as it says, a core
 * {@linkcode DomainError} by its kind; null for anything else (a defect: 500). The one place
 * errors meet statuses: `onError` answers with it, and a page that shows a refused form again
 * takes its status from it.
 */
export function errorAnswer(err: unknown): ErrorAnswer | null {
  if (err instanceof HttpError) {
    return { status: err.status, headers: err.headers, details: err.details };
  }
  if (err instanceof DomainError) {
    const headers: Record<string, string> = err.retryAfterSeconds === undefined
      ? {}
      : { "retry-after": String(err.retryAfterSeconds) };
    return { status: STATUS_OF_KIND[err.kind], headers, details: err.details };
  }
  return null;
}

/** A JSON response with `status` and optional headers. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
