// CSRF defence: a state-changing request must come from our own origin. The browser's
// `Sec-Fetch-Site` refuses another site's request outright; `Origin`, else `Referer`, must then
// name our origin; with neither, only a request that carries no credentials passes.

import type { BaseState } from "./define.ts";
import { matchedRoute, type Middleware } from "./server.ts";
import { jsonResponse } from "./http_error.ts";
import { ownOrigin } from "./request_info.ts";

/** Methods that change state and so must come from our own pages. */
export const STATE_CHANGING_METHODS: readonly string[] = ["POST", "PUT", "PATCH", "DELETE"];

/** The verdict on one request's origin. */
export type OriginVerdict =
  | { ok: true }
  | { ok: false; reason: string };

/**
 * Decides whether a request may change state, `expected` being our own origin.
 * 1. `Sec-Fetch-Site` (sent by every current browser, never settable by a page): `cross-site` or
 *    `same-site` (a sibling host is another origin) is refused.
 * 2. `Origin`, when present, must be ours (`null` counts as foreign); else `Referer`'s origin.
 * 3. With neither, the browser's `Sec-Fetch-Site: same-origin` (or `none`: the user's own
 *    navigation) vouches for it; without that, only a request that carries no credentials passes
 *    (a script or CLI without ambient credentials cannot be forged by another site).
 */
export function checkOrigin(
  req: Request,
  expected: string,
  options: { hasCredentials: boolean },
): OriginVerdict {
  const site = req.headers.get("sec-fetch-site")?.trim().toLowerCase() ?? null;
  if (site === "cross-site" || site === "same-site") {
    return { ok: false, reason: `its Sec-Fetch-Site is ${site}` };
  }
  const origin = req.headers.get("origin");
  if (origin !== null) {
    return origin.toLowerCase() === expected
      ? { ok: true }
      : { ok: false, reason: "its Origin is another site" };
  }
  const referer = req.headers.get("referer");
  if (referer !== null) {
    let refererOrigin: string | null = null;
    try {
      refererOrigin = new URL(referer).origin.toLowerCase();
    } catch {
      refererOrigin = null;
    }
    return refererOrigin === expected
      ? { ok: true }
      : { ok: false, reason: "its Referer is another site" };
  }
  if (site === "same-origin" || site === "none" || !options.hasCredentials) return { ok: true };
  return { ok: false, reason: "it carries credentials but neither Origin nor Referer" };
}

/** Options for {@linkcode csrfProtection}. */
export interface CsrfOptions {
  /** Whether `X-Forwarded-Proto`/`X-Forwarded-Host` describe our origin (`TRUST_PROXY`). */
  trustProxy: boolean;
  /** Whether the request carries ambient credentials (a session cookie) another site could use. */
  hasCredentials(req: Request): boolean;
}

/**
 * Middleware refusing cross-site state-changing requests with 403 JSON, except to a route that
 * declares `export const csrf = "exempt"` (a machine endpoint with no session that checks its
 * callers itself, such as a signed webhook). The declaration is read from the route the router
 * matched, so no other spelling of its URL can disagree with it; an unknown path is checked.
 */
export function csrfProtection<State extends BaseState>(options: CsrfOptions): Middleware<State> {
  return async function csrfMiddleware(c, next) {
    const req = c.req.raw;
    if (!STATE_CHANGING_METHODS.includes(req.method) || matchedRoute(c)?.csrf === "exempt") {
      await next();
      return;
    }
    const verdict = checkOrigin(req, ownOrigin(req, options.trustProxy), {
      hasCredentials: options.hasCredentials(req),
    });
    if (!verdict.ok) {
      return jsonResponse(
        {
          error: `Cross-site request refused: ${verdict.reason}`,
          requestId: c.get("state").requestId,
        },
        403,
      );
    }
    await next();
  };
}
