// CSRF defence: a state-changing request must come from our own origin (Origin, else Referer).

import type { Middleware } from "../web/server.ts";
import { jsonResponse } from "../web/http_error.ts";
import { readSessionCookie } from "./cookies.ts";
import { ownOrigin } from "./request_info.ts";

/** Methods that change state and so must come from our own pages. */
export const STATE_CHANGING_METHODS: readonly string[] = ["POST", "PUT", "PATCH", "DELETE"];

/** Paths exempt from the origin check: the webhook has no session and is signature-checked. */
export const CSRF_EXEMPT_PATHS: readonly string[] = ["/webhook"];

/** The verdict on one request's origin. */
export type OriginVerdict =
  | { ok: true }
  | { ok: false; reason: string };

/**
 * Decides whether a request may change state. `Origin` decides when present (`null` counts as
 * foreign); otherwise `Referer`; with neither, only a request without a session cookie passes
 * (a script or CLI without ambient credentials cannot be forged by another site).
 */
export function checkOrigin(req: Request, expected: string): OriginVerdict {
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
  return readSessionCookie(req) === null
    ? { ok: true }
    : { ok: false, reason: "it carries a session but neither Origin nor Referer" };
}

/** Options for {@linkcode csrfProtection}. */
export interface CsrfOptions {
  /** Whether `X-Forwarded-Proto`/`X-Forwarded-Host` describe our origin (`TRUST_PROXY`). */
  trustProxy: boolean;
}

/** Middleware refusing cross-site state-changing requests with 403 JSON. */
export function csrfProtection(options: CsrfOptions): Middleware {
  return async function csrfMiddleware(c, next) {
    const req = c.req.raw;
    // The decoded path the router matches on, so the exemption means the webhook route itself.
    if (!STATE_CHANGING_METHODS.includes(req.method) || CSRF_EXEMPT_PATHS.includes(c.req.path)) {
      await next();
      return;
    }
    const verdict = checkOrigin(req, ownOrigin(req, options.trustProxy));
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
