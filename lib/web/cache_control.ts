// Cache-Control decided in one place for a whole family of responses: no-store on the API.

import type { Context } from "hono";
import type { HonoEnv } from "./define.ts";

/** Options of {@linkcode noStore}. */
export interface NoStoreOptions {
  /** Which request paths (as they arrive) get `Cache-Control: no-store`. */
  paths: (path: string) => boolean;
}

/**
 * Middleware: every response on a matching path carries `Cache-Control: no-store`, whoever made
 * it (a route, a 401 or 403, a 404, an error), so no browser or proxy keeps a copy of lead data.
 */
export function noStore(options: NoStoreOptions) {
  return async function noStoreMiddleware(
    c: Context<HonoEnv>,
    next: () => Promise<void>,
  ): Promise<void> {
    await next();
    if (!options.paths(new URL(c.req.url).pathname)) return;
    try {
      c.res.headers.set("cache-control", "no-store");
    } catch {
      // Headers of some responses (Response.redirect) are immutable: answer with a copy.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set("cache-control", "no-store");
    }
  };
}
