// Where to go after signing in: only a path on this site, never another host (no open redirect).

const BASE = "http://leadline.invalid";

/**
 * Returns `raw`, normalised, when it is a local path such as `/leads/01H...?tab=notes`, else `/`.
 * Refuses absolute URLs, protocol-relative `//host`, backslashes (browsers read `/\host` as
 * `//host`), control characters and `/login` itself. The checks hold for the path as resolved
 * too: dot segments (`/.//host`, `/a/..//host`, `/%2e%2e//host`) resolve to `//host`.
 */
export function safeNextPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2000) return "/";
  if (!raw.startsWith("/") || raw.startsWith("//")) return "/";
  // deno-lint-ignore no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE || url.pathname === "/login") return "/";
  // What we send is the resolved path, so that is what must still be local.
  if (url.pathname.startsWith("//") || url.pathname.includes("\\")) return "/";
  return url.pathname + url.search + url.hash;
}
