// Who may use a route: each route file declares its access (`export const access = "admin"`) and
// the router asks this check about the route it matched, never about a path read a second time.

import type { AppContext } from "../app_state.ts";
import type { Access } from "../web/define.ts";
import { jsonResponse } from "../web/http_error.ts";
import { isApiPath } from "../web/server.ts";

/**
 * The app's `Authorizer` (see lib/web/server.ts): `public` routes let everyone through; `user` routes turn away
 * anonymous visitors (401 JSON for the API, 303 to /login for pages); `admin` routes also turn
 * away agents with 403. Needs `sessionAuth` to have put the signed-in user on the state.
 */
export function authorizeRoute(c: AppContext, access: Access): Response | null {
  if (access === "public") return null;
  const state = c.get("state");
  // The decoded path the router matched decides JSON or HTML, as it decided the route.
  const api = isApiPath(c.req.path);
  if (!state.user) return denyAnonymous(c.req.raw, api, state.requestId);
  if (access === "admin" && state.user.role !== "admin") return forbidden(api, state.requestId);
  return null;
}

function denyAnonymous(req: Request, api: boolean, requestId: string): Response {
  if (api) {
    return jsonResponse({ error: "Sign in required", requestId }, 401, {
      "cache-control": "no-store",
    });
  }
  // Only a page the browser asked to see is worth coming back to after signing in.
  const url = new URL(req.url);
  const wantsPage = req.method === "GET" || req.method === "HEAD";
  const location = wantsPage
    ? `/login?next=${encodeURIComponent(url.pathname + url.search)}`
    : "/login";
  return new Response(null, {
    status: 303,
    headers: { location, "cache-control": "no-store" },
  });
}

function forbidden(api: boolean, requestId: string): Response {
  if (api) {
    return jsonResponse({ error: "Only admins may do this", requestId }, 403, {
      "cache-control": "no-store",
    });
  }
  return new Response(
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Admins only · Leadline' +
      '</title><link rel="stylesheet" href="/static/styles.css"></head><body><main class="page">' +
      '<section class="message-page"><h1>Admins only</h1><p>Only an admin can open this page.' +
      '</p><p><a href="/">Back to the dashboard</a></p></section></main></body></html>',
    {
      status: 403,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    },
  );
}
