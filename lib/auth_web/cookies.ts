// The session cookie: its name, how it is read from a request and how Set-Cookie values are built.

/** Name of the session cookie. */
export const SESSION_COOKIE = "leadline_session";

/** The session id from the request's `Cookie` header, or null. */
export function readSessionCookie(req: Request): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return value === "" ? null : value;
  }
  return null;
}

/**
 * A `Set-Cookie` value for a session: `HttpOnly` (no script reads it), `SameSite=Lax` (not sent
 * on cross-site posts), `Path=/`, `Max-Age` in whole seconds, `Secure` when served over https.
 */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [
    `${SESSION_COOKIE}=${id}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** A `Set-Cookie` value that removes the session cookie from the browser. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}
