// Graph API errors: one error class, classification of Meta error codes, and secret redaction.

/** What a caller should do about a Graph API failure. */
export type GraphErrorKind =
  | "transient"
  | "rate_limit"
  | "token"
  | "permission"
  | "not_found"
  | "bad_request";

/** Fields of a GraphApiError. */
export interface GraphApiErrorInit {
  kind: GraphErrorKind;
  message: string;
  /** Meta's `error.code`, null when there was no Graph error body (network, timeout, HTML). */
  code?: number | null;
  subcode?: number | null;
  /** HTTP status, null when no response arrived. */
  status?: number | null;
  /** How long to wait before calling again, when Meta said so (BUC header, Retry-After). */
  retryAfterMs?: number | null;
  fbtraceId?: string | null;
}

/** A failed Graph API call. The message never contains an access token or appsecret_proof. */
export class GraphApiError extends Error {
  /** What kind of failure this is; decides retry, alert or give up. */
  readonly kind: GraphErrorKind;
  /** Meta's error code, or null. */
  readonly code: number | null;
  /** Meta's error_subcode, or null. */
  readonly subcode: number | null;
  /** HTTP status, or null when no response arrived. */
  readonly status: number | null;
  /** Milliseconds to wait before the next call, when Meta said so; else null. */
  readonly retryAfterMs: number | null;
  /** Meta's trace id for support requests, or null. */
  readonly fbtraceId: string | null;

  /** Creates the error; the message is redacted of token and proof query values. */
  constructor(init: GraphApiErrorInit) {
    super(redactSecrets(init.message));
    this.name = "GraphApiError";
    this.kind = init.kind;
    this.code = init.code ?? null;
    this.subcode = init.subcode ?? null;
    this.status = init.status ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.fbtraceId = init.fbtraceId ?? null;
  }

  /** True when trying the same call again later can succeed. */
  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "rate_limit";
  }
}

const SECRET_PARAMS = /((?:access_token|appsecret_proof|client_secret|input_token)=)[^&\s)"'#]*/gi;

/**
 * Removes secret values from text: the values of access_token, appsecret_proof, client_secret
 * and input_token query parameters, and every literal in `secrets` (e.g. a token that a
 * message quotes outside a URL).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text.replace(SECRET_PARAMS, "$1[redacted]");
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.replaceAll(secret, "[redacted]");
  }
  return result;
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613]);
const TOKEN_CODES = new Set([102, 190]);
const TRANSIENT_CODES = new Set([1, 2]);

function isRateLimitCode(code: number): boolean {
  // 80000-80099 are the Business Use Case rate limits (80001 pages, 80005 leadgen, ...).
  return RATE_LIMIT_CODES.has(code) || (code >= 80000 && code < 80100);
}

function isPermissionCode(code: number): boolean {
  return code === 10 || (code >= 200 && code <= 299);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * Reads the longest `estimated_time_to_regain_access` (minutes) from an
 * X-Business-Use-Case-Usage header value and returns it in milliseconds, or null.
 */
export function bucRetryAfterMs(headerValue: string | null): number | null {
  if (!headerValue) return null;
  let usage: unknown;
  try {
    usage = JSON.parse(headerValue);
  } catch {
    return null;
  }
  if (typeof usage !== "object" || usage === null) return null;
  let minutes: number | null = null;
  for (const list of Object.values(usage)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const value = numberOrNull(item?.estimated_time_to_regain_access);
      if (value !== null && value >= 0 && (minutes === null || value > minutes)) minutes = value;
    }
  }
  return minutes === null ? null : minutes * 60_000;
}

function retryAfterHeaderMs(headerValue: string | null): number | null {
  if (!headerValue || !/^\d+$/.test(headerValue.trim())) return null;
  return Number(headerValue.trim()) * 1000;
}

/**
 * Turns a failed Graph API response into a GraphApiError. `body` is the parsed JSON body (or the
 * raw text, or null). Codes: 190/102 token; 4, 17, 32, 613, 800xx rate limit; 1, 2 transient;
 * 10, 200-299 permission; 100 "does not exist" (or subcode 33) not found; other 5xx transient;
 * 429 rate limit; everything else bad request.
 */
export function classifyGraphError(status: number, body: unknown, headers: Headers): GraphApiError {
  const error = typeof body === "object" && body !== null
    ? (body as { error?: Record<string, unknown> }).error
    : undefined;
  const code = numberOrNull(error?.code);
  const subcode = numberOrNull(error?.error_subcode);
  const metaMessage = typeof error?.message === "string" ? error.message : null;
  const fbtraceId = typeof error?.fbtrace_id === "string" ? error.fbtrace_id : null;
  const retryAfterMs = bucRetryAfterMs(headers.get("x-business-use-case-usage")) ??
    retryAfterHeaderMs(headers.get("retry-after"));

  let kind: GraphErrorKind;
  if (code !== null && TOKEN_CODES.has(code)) kind = "token";
  else if (code !== null && isRateLimitCode(code)) kind = "rate_limit";
  else if (code !== null && TRANSIENT_CODES.has(code)) kind = "transient";
  else if (code !== null && isPermissionCode(code)) kind = "permission";
  else if (
    (code === 100 && (subcode === 33 || /does not exist/i.test(metaMessage ?? ""))) ||
    (code === null && status === 404)
  ) kind = "not_found";
  else if (status >= 500) kind = "transient";
  else if (status === 429) kind = "rate_limit";
  else kind = "bad_request";

  const details = [
    code !== null ? `code ${code}` : null,
    subcode !== null ? `subcode ${subcode}` : null,
    `HTTP ${status}`,
    fbtraceId !== null ? `fbtrace_id ${fbtraceId}` : null,
  ].filter((part) => part !== null).join(", ");
  const what = metaMessage ??
    (typeof body === "string" && body.trim() !== ""
      ? `unexpected response: ${body.trim().slice(0, 200)}`
      : "no error details");
  return new GraphApiError({
    kind,
    message: `Graph API ${kind.replace("_", " ")}: ${what} (${details})`,
    code,
    subcode,
    status,
    retryAfterMs,
    fbtraceId,
  });
}
