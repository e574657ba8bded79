// Puts the signed-in user on the request state, keeps the session cookie sliding, and turns away
// anonymous visitors (401 JSON for the API, 303 to /login for pages) and agents on admin paths.

import { getSession } from "../auth/sessions.ts";
import type { Middleware } from "../web/server.ts";
import { jsonResponse } from "../web/http_error.ts";
import { isAdminPath, isApiPath, isPublicPath } from "./access.ts";
import { readSessionCookie, SESSION_COOKIE, sessionCookie } from "./cookies.ts";
import { isHttps } from "./request_info.ts";

/** Options for {@linkcode sessionAuth}. */
export interface SessionAuthOptions {
  /** Whether `X-Forwarded-Proto` tells us the client used https (`TRUST_PROXY`). */
  trustProxy: boolean;
  /** Clock for tests; default `Date.now`. */
  now?: () => number;
}

/** Middleware that looks up the session cookie and enforces who may see what. */
export function sessionAuth(options: SessionAuthOptions): Middleware {
  const now = options.now ?? Date.now;
  return async function sessionMiddleware(c, next) {
    const state = c.get("state");
    const req = c.req.raw;
    const url = new URL(req.url);
    const path = url.pathname;
    const id = readSessionCookie(req);
    const found = id === null ? null : await getSession(state.services.kv, id, now());
    if (found) {
      const { id: userId, email, name, role } = found.user;
      state.user = { id: userId, email, name, role };
    }

    if (!isPublicPath(path)) {
      if (!state.user) return denyAnonymous(req, url, state.requestId);
      if (isAdminPath(path) && state.user.role !== "admin") {
        return forbidden(path, state.requestId);
      }
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

function denyAnonymous(req: Request, url: URL, requestId: string): Response {
  if (isApiPath(url.pathname)) {
    return jsonResponse({ error: "Sign in required", requestId }, 401, {
      "cache-control": "no-store",
    });
  }
  // Only a page the browser asked to see is worth coming back to after signing in.
  const wantsPage = req.method === "GET" || req.method === "HEAD";
  const location = wantsPage
    ? `/login?next=${encodeURIComponent(url.pathname + url.search)}`
    : "/login";
  return new Response(null, {
    status: 303,
    headers: { location, "cache-control": "no-store" },
  });
}

function forbidden(path: string, requestId: string): Response {
  if (isApiPath(path)) {
    return jsonResponse({ error: "Only admins may do this", requestId }, 403);
  }
  return new Response(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Admins only · Leadline' +
      '</title><link rel="stylesheet" href="/static/styles.css"></head><body><main class="page">' +
      '<section class="message-page"><h1>Admins only</h1><p>Only an admin can open this page.' +
      '</p><p><a href="/">Back to the dashboard</a></p></section></main></body></html>',
    { status: 403, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}
