// Security headers on every response, static files and refusals included: hono's secure-headers
// middleware with the app's policy, and HSTS only when the client came over https.

import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { isHttps } from "./request_info.ts";
import type { Plugin } from "./server.ts";

/** HSTS value sent over https: one year. Subdomains are left to their owners. */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/** A Content-Security-Policy, directive by directive: `{ scriptSrc: ["'self'"] }`. */
export type ContentSecurityPolicy = Record<string, string[]>;

/** Options of {@linkcode securityHeaders}. */
export interface SecurityHeadersOptions {
  /** The Content-Security-Policy every response carries. */
  contentSecurityPolicy: ContentSecurityPolicy;
  /** Powerful browser features this site never uses, turned off for it and anything it embeds. */
  deniedFeatures?: string[];
  /** Whether a trusted proxy's `X-Forwarded-Proto` decides https (`TRUST_PROXY`). */
  trustProxy: boolean;
}

/**
 * Middleware that puts the security headers on every response it wraps: register it first, so
 * static files, refusals and error pages get them too. From hono's secure-headers: the CSP,
 * `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` (our own pages still send the
 * Referer the CSRF check and form redirects read), `X-Frame-Options: DENY`, same-origin
 * Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy, a Permissions-Policy and the rest of
 * its defaults. HSTS only over https: over plain http it would be ignored or, on a shared host
 * name, lock out a site that has no certificate.
 */
export function securityHeaders(options: SecurityHeadersOptions): Plugin {
  const permissionsPolicy = Object.fromEntries(
    (options.deniedFeatures ?? []).map((feature) => [feature, false]),
  ) as NonNullable<Parameters<typeof secureHeaders>[0]>["permissionsPolicy"];
  const headers = secureHeaders({
    contentSecurityPolicy: options.contentSecurityPolicy,
    referrerPolicy: "same-origin",
    xFrameOptions: "DENY",
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    strictTransportSecurity: false,
    permissionsPolicy,
  });
  return async function securityHeadersMiddleware(c, next) {
    await headers(c, async () => {
      await next();
      mutable(c);
    });
    if (isHttps(c.req.raw, options.trustProxy)) {
      c.res.headers.set("strict-transport-security", STRICT_TRANSPORT_SECURITY);
    }
  };
}

// Some responses (Response.redirect, a fetch's answer) have immutable headers: answer with a copy.
function mutable(c: Context): void {
  try {
    c.res.headers.set("x-content-type-options", "nosniff");
  } catch {
    c.res = new Response(c.res.body, c.res);
  }
}
