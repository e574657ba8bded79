// Typed HTTP errors: thrown anywhere in a request, mapped to a status and a JSON body in one place.

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
