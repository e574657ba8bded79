import {
  getUser,
  removeUser,
  setDisabled,
  setPassword,
  setRole,
} from "../../../../lib/auth/users.ts";
import { toPublicUser } from "../../../../lib/auth/model.ts";
import { readJsonObject } from "../../../../lib/web/body.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";
import { isUlid } from "../../../../lib/ids.ts";

/** Only admins manage the team. */
export const access = "admin";

/** User ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async GET(ctx) {
    const user = await getUser(ctx.state.services.kv, ctx.params.id);
    if (!user) throw new HttpError(404, `No user has id ${ctx.params.id}`);
    return jsonResponse({ user: toPublicUser(user) }, 200, { "cache-control": "no-store" });
  },

  /** Changes a user: `{ "disabled"?: boolean, "password"?: string, "role"?: "admin" | "agent" }`. */
  async PATCH(ctx) {
    const body = await readJsonObject(ctx.req);
    const { kv } = ctx.state.services;
    const id = ctx.params.id;
    if (body.disabled !== undefined && typeof body.disabled !== "boolean") {
      throw new HttpError(400, "Cannot update user: disabled must be true or false");
    }
    if (body.password !== undefined && typeof body.password !== "string") {
      throw new HttpError(400, "Cannot update user: password must be a string");
    }
    if (body.role !== undefined && body.role !== "admin" && body.role !== "agent") {
      throw new HttpError(400, "Cannot update user: role must be admin or agent");
    }
    if (body.disabled === true && id === ctx.state.user!.id) {
      throw new HttpError(409, "Cannot disable your own account; ask another admin");
    }
    if (body.role === "agent" && id === ctx.state.user!.id) {
      throw new HttpError(409, "Cannot take away your own admin role; ask another admin");
    }
    if (!await getUser(kv, id)) throw new HttpError(404, `No user has id ${id}`);
    if (typeof body.password === "string") {
      await setPassword(kv, id, body.password, {
        iterations: ctx.state.services.passwordIterations,
      });
    }
    if (typeof body.disabled === "boolean") await setDisabled(kv, id, body.disabled);
    if (body.role === "admin" || body.role === "agent") await setRole(kv, id, body.role);
    const user = await getUser(kv, id);
    if (!user) throw new HttpError(404, `No user has id ${id}`);
    return jsonResponse({ user: toPublicUser(user) });
  },

  async DELETE(ctx) {
    const id = ctx.params.id;
    if (id === ctx.state.user!.id) {
      throw new HttpError(409, "Cannot remove your own account; ask another admin");
    }
    const removed = await removeUser(ctx.state.services.kv, id);
    if (!removed) throw new HttpError(404, `No user has id ${id}`);
    return new Response(null, { status: 204 });
  },
});
