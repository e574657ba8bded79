import { endSession } from "../lib/auth/sessions.ts";
import { clearedSessionCookie, readSessionCookie } from "../lib/auth_web/cookies.ts";
import { isHttps } from "../lib/web/request_info.ts";
import { define } from "../lib/app_state.ts";

export const handler = define.handlers({
  async POST(ctx) {
    await endSession(ctx.state.services.kv, readSessionCookie(ctx.req));
    const headers = new Headers({ location: "/login", "cache-control": "no-store" });
    headers.append(
      "set-cookie",
      clearedSessionCookie(isHttps(ctx.req, ctx.state.services.config.trustProxy)),
    );
    return new Response(null, { status: 303, headers });
  },
});
