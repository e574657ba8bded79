import { logIn } from "../lib/auth/login.ts";
import { sessionCookie } from "../lib/auth_web/cookies.ts";
import { safeNextPath } from "../lib/auth_web/next_path.ts";
import { readForm } from "../lib/web/body.ts";
import { define } from "../lib/app_state.ts";
import { clientAddress, isHttps } from "../lib/web/request_info.ts";

/** What the sign-in form shows. */
interface LoginData {
  email: string;
  next: string;
  error?: string;
}

/** One message for unknown email, wrong password and disabled account: nothing to learn. */
export const INVALID_CREDENTIALS = "Wrong email or password.";

export const title = "Sign in";

/** Anyone may sign in. */
export const access = "public";

export const handler = define.handlers<LoginData>({
  GET(ctx) {
    const next = safeNextPath(ctx.url.searchParams.get("next"));
    if (ctx.state.user) return redirect(next);
    return ctx.render({ email: "", next });
  },

  async POST(ctx) {
    const form = await readForm(ctx.req);
    const email = form.email ?? "";
    const next = safeNextPath(form.next);
    const { kv, config, passwordIterations } = ctx.state.services;
    const address = clientAddress(ctx.req, ctx.info, config.trustProxy);
    const result = await logIn(
      kv,
      { email, password: form.password ?? "", address },
      { iterations: passwordIterations, ttlMs: config.sessionTtlMs },
    );
    if (result.ok) {
      const maxAge = config.sessionTtlMs / 1000;
      const https = isHttps(ctx.req, config.trustProxy);
      return redirect(next, sessionCookie(result.session.id, maxAge, https));
    }
    if (result.reason === "throttled") {
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return ctx.render({
        email,
        next,
        error: `Too many failed attempts. Try again in ${minutes} minute${
          minutes === 1 ? "" : "s"
        }.`,
      }, { status: 429, headers: { "retry-after": String(result.retryAfterSeconds) } });
    }
    return ctx.render({ email, next, error: INVALID_CREDENTIALS }, { status: 401 });
  },
});

function redirect(location: string, cookie?: string): Response {
  const headers = new Headers({ location, "cache-control": "no-store" });
  if (cookie) headers.append("set-cookie", cookie);
  return new Response(null, { status: 303, headers });
}

export default define.page<LoginData>(function Login({ data }) {
  return (
    <section class="auth-card">
      <h1>Sign in</h1>
      {data.error && <p class="form-error" role="alert">{data.error}</p>}
      <form method="post" action="/login" class="stacked-form">
        <input type="hidden" name="next" value={data.next} />
        <label>
          Email
          <input
            type="email"
            name="email"
            value={data.email}
            autocomplete="username"
            required
            autofocus
          />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required />
        </label>
        <button type="submit" class="button button-primary">Sign in</button>
      </form>
    </section>
  );
});
