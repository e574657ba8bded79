// Security headers that every response carries: CSP, no sniffing, no framing, HSTS over https.

/** The Content-Security-Policy: only our own scripts, styles and connections; no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** HSTS value sent over https: one year. Subdomains are left to their owners. */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/**
 * Returns `res` with the security headers set (a copy when its headers are immutable, as with
 * `Response.redirect`). HSTS only when `https`: over plain http it would be ignored or, on a
 * shared host name, lock out a site that has no certificate.
 */
export function withSecurityHeaders(res: Response, https: boolean): Response {
  const headers: [string, string][] = [
    ["content-security-policy", CONTENT_SECURITY_POLICY],
    ["x-content-type-options", "nosniff"],
    ["referrer-policy", "same-origin"],
    ["x-frame-options", "DENY"],
  ];
  if (https) headers.push(["strict-transport-security", STRICT_TRANSPORT_SECURITY]);
  let out = res;
  try {
    for (const [name, value] of headers) out.headers.set(name, value);
  } catch {
    out = new Response(res.body, res);
    for (const [name, value] of headers) out.headers.set(name, value);
  }
  return out;
}
