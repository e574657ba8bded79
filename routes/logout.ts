import { endSession } from "../lib/auth/sessions.ts";
import { clearedSessionCookie, readSessionCookie, requestIsHttps } from "../lib/auth_web/mod.ts";
import { define } from "../lib/web/define.ts";

export const handler = define.handlers({
  async POST(ctx) {
    await endSession(ctx.state.services.kv, readSessionCookie(ctx.req));
    const headers = new Headers({ location: "/login", "cache-control": "no-store" });
    headers.append("set-cookie", clearedSessionCookie(requestIsHttps(ctx.hono)));
    return new Response(null, { status: 303, headers });
  },
});
