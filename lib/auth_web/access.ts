// Which paths anyone may reach, which need a session, and which only admins may use.

/** Exact paths served without a session. */
export const PUBLIC_PATHS: readonly string[] = ["/login", "/webhook", "/health"];

/** Path prefixes served without a session (static files and island bundles). */
export const PUBLIC_PREFIXES: readonly string[] = ["/static/", "/_islands/"];

/** Paths (and everything below them) that only admins may use. */
export const ADMIN_PATHS: readonly string[] = ["/team", "/settings", "/api/admin"];

/** True when `path` is served to anonymous visitors. Everything else requires a session. */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.includes(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

/** True when `path` is for admins only (agents get 403). */
export function isAdminPath(path: string): boolean {
  return ADMIN_PATHS.some((p) => path === p || path.startsWith(p + "/"));
}

export { isApiPath } from "../web/server.ts";
