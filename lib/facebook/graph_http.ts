// One Graph API request: token and appsecret_proof, timeout, exact IDs, Meta errors as GraphApiError.

import { parseJsonExactIds } from "./exact_json.ts";
import { classifyGraphError, GraphApiError, redactSecrets } from "./graph_errors.ts";
import { appSecretProof } from "./signature.ts";

/** Where and how Graph calls go. */
export interface GraphHttpOptions {
  /** E.g. "https://graph.facebook.com" or a simulator's url. */
  baseUrl: string;
  /** E.g. "v21.0". */
  version: string;
  appSecret: string;
  /** Per-call timeout; default 10 000 ms. */
  timeoutMs?: number;
}

/** Sends one call with `token`; resolves to Meta's JSON object or throws GraphApiError. */
export type GraphRequest = (
  token: string,
  path: string,
  params?: Record<string, string>,
  method?: "GET" | "POST" | "DELETE",
) => Promise<Record<string, unknown>>;

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Makes the request function every Graph client shares. Every call sends `access_token` and
 * `appsecret_proof`, times out after `timeoutMs`, parses IDs exactly, and throws GraphApiError
 * (network failures and timeouts give kind "transient"). No message ever holds the token, the
 * proof or the app secret.
 */
export function createGraphRequest(options: GraphHttpOptions): GraphRequest {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const version = options.version.replace(/^\/+|\/+$/g, "");
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!/^v\d+\.\d+$/.test(version)) {
    throw new Error(`Cannot create Graph client: version "${version}" is not like "v21.0"`);
  }
  if (options.appSecret === "") {
    throw new Error("Cannot create Graph client: the app secret is empty");
  }

  return async function graphRequest(token, path, params = {}, method = "GET") {
    const url = new URL(`${baseUrl}/${version}/${path}`);
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    url.searchParams.set("access_token", token);
    url.searchParams.set("appsecret_proof", await appSecretProof(options.appSecret, token));
    const secrets = [token, options.appSecret];
    const where = `${method} /${version}/${path}`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      // Deno puts the request URL, token included, in the cause; keep the cause, not the URL query.
      const cause = (error as Error)?.cause;
      const detail = [String((error as Error)?.message ?? error), cause ? String(cause) : ""]
        .filter((part) => part !== "").join(": ");
      // The query string only repeats what `where` says, plus secrets: drop it.
      const withoutQuery = detail.replace(/(https?:\/\/[^\s?)]+)\?[^\s)]*/g, "$1");
      const reason = timedOut
        ? `no answer within ${timeoutMs} ms`
        : redactSecrets(withoutQuery, secrets);
      throw new GraphApiError({
        kind: "transient",
        message: `Graph API transient: ${where} failed: ${reason}`,
      });
    }

    let body: unknown = text;
    try {
      body = parseJsonExactIds(text);
    } catch {
      // Not JSON (a proxy's HTML page); classified below from the status.
    }
    const isObject = typeof body === "object" && body !== null && !Array.isArray(body);
    if (!response.ok || (isObject && "error" in (body as Record<string, unknown>))) {
      const error = classifyGraphError(response.status, body, response.headers);
      throw new GraphApiError({
        kind: error.kind,
        message: redactSecrets(`${error.message} on ${where}`, secrets),
        code: error.code,
        subcode: error.subcode,
        status: error.status,
        retryAfterMs: error.retryAfterMs,
        fbtraceId: error.fbtraceId,
      });
    }
    if (!isObject) {
      throw new GraphApiError({
        kind: "transient",
        message:
          `Graph API transient: ${where} answered HTTP ${response.status} without a JSON object`,
        status: response.status,
      });
    }
    return body as Record<string, unknown>;
  };
}
