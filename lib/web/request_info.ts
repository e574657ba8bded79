// Facts about a request that depend on whether a reverse proxy is trusted: https, origin, address.

/**
 * True when the client reached us over https: the URL says so, or `trustProxy` is on and the
 * proxy's `X-Forwarded-Proto` says `https`. Without `trustProxy` the header is ignored, since
 * any client could send it.
 */
export function isHttps(req: Request, trustProxy: boolean): boolean {
  if (new URL(req.url).protocol === "https:") return true;
  if (!trustProxy) return false;
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return proto === "https";
}

/** Our own origin as the browser sees it, e.g. `https://leads.example.com`. */
export function ownOrigin(req: Request, trustProxy: boolean): string {
  const url = new URL(req.url);
  const forwardedHost = trustProxy
    ? req.headers.get("x-forwarded-host")?.split(",")[0].trim()
    : undefined;
  const host = forwardedHost || url.host;
  return `${isHttps(req, trustProxy) ? "https" : "http"}://${host}`.toLowerCase();
}

/**
 * The client's address, for rate limits. `info` is what `Deno.serve` passes its handler. With
 * `trustProxy`, the last `X-Forwarded-For` entry wins: it is the one our own proxy appended,
 * while earlier entries come from the client and can be forged. `"unknown"` when nothing says.
 */
export function clientAddress(req: Request, info: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers.get("x-forwarded-for")?.split(",").map((s) => s.trim())
      .filter((s) => s !== "");
    if (forwarded && forwarded.length > 0) return forwarded[forwarded.length - 1];
  }
  const remote = (info as { remoteAddr?: { hostname?: string } } | undefined)?.remoteAddr;
  return remote?.hostname ?? "unknown";
}
