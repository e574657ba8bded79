import { createUser, listUsers } from "../../../../lib/auth/users.ts";
import { readJsonObject } from "../../../../lib/web/body.ts";
import { define } from "../../../../lib/app_state.ts";
import { jsonResponse } from "../../../../lib/web/http_error.ts";

/** Only admins manage the team. */
export const access = "admin";

export const handler = define.handlers({
  async GET(ctx) {
    const users = await listUsers(ctx.state.services.kv);
    return jsonResponse({ users }, 200, { "cache-control": "no-store" });
  },

  /** Adds a user: `{ "email", "name", "role": "admin" | "agent", "password" }`. */
  async POST(ctx) {
    const body = await readJsonObject(ctx.req);
    const user = await createUser(ctx.state.services.kv, {
      email: String(body.email ?? ""),
      name: String(body.name ?? ""),
      role: String(body.role ?? "agent") as "admin" | "agent",
      password: typeof body.password === "string" ? body.password : "",
    }, { iterations: ctx.state.services.passwordIterations });
    return jsonResponse({ user }, 201, { location: `/api/admin/users/${user.id}` });
  },
});
