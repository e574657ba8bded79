// Puts the signed-in user on the request state and keeps the session cookie sliding. It decides
// nothing about paths: each matched route's declared access is checked by `authorizeRoute`.

import { getSession } from "../auth/sessions.ts";
import type { Middleware } from "../app_state.ts";
import { readSessionCookie, SESSION_COOKIE, sessionCookie } from "./cookies.ts";
import { isHttps } from "../web/request_info.ts";

/** Options for {@linkcode sessionAuth}. */
export interface SessionAuthOptions {
  /** Whether `X-Forwarded-Proto` tells us the client used https (`TRUST_PROXY`). */
  trustProxy: boolean;
  /** Clock for tests; default `Date.now`. */
  now?: () => number;
}

/** Middleware that looks up the session cookie and puts its user on the request state. */
export function sessionAuth(options: SessionAuthOptions): Middleware {
  const now = options.now ?? Date.now;
  return async function sessionMiddleware(c, next) {
    const state = c.get("state");
    const req = c.req.raw;
    const id = readSessionCookie(req);
    const found = id === null ? null : await getSession(state.services.kv, id, now());
    if (found) {
      const { id: userId, email, name, role } = found.user;
      state.user = { id: userId, email, name, role };
    }

    await next();

    if (found?.renewed && id !== null && !setsSessionCookie(c.res)) {
      // A renewed session lives a full TTL from now; the cookie follows it.
      const maxAge = found.session.ttlMs / 1000;
      const cookie = sessionCookie(id, maxAge, isHttps(req, options.trustProxy));
      try {
        c.res.headers.append("set-cookie", cookie);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.append("set-cookie", cookie);
      }
    }
  };
}

function setsSessionCookie(res: Response): boolean {
  return res.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE + "="));
}
