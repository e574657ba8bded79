// The signed-in user's quiet hours: GET them, PUT `{quietHours: {from, until} | null, timeZone}`,
// or POST the notifications page's form (back to /notifications).

import { readForm, readJsonObject } from "../../../lib/web/body.ts";
import {
  checkPushPreferences,
  getPushPreferences,
  savePushPreferences,
} from "../../../lib/push/preferences.ts";
import { define, type RouteContext } from "../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

const NO_STORE = { "cache-control": "no-store" };

async function save(ctx: RouteContext, input: Record<string, unknown>, form: boolean) {
  const checked = checkPushPreferences(input);
  if (!checked.ok) {
    if (form) {
      const query = new URLSearchParams({ error: Object.values(checked.fields).join(" ") });
      return new Response(null, { status: 303, headers: { location: `/notifications?${query}` } });
    }
    throw new HttpError(400, "Cannot save the quiet hours: some fields are not right", {
      details: { fields: checked.fields },
    });
  }
  await savePushPreferences(ctx.state.services.kv, ctx.state.user!.id, checked.preferences);
  if (form) {
    return new Response(null, { status: 303, headers: { location: "/notifications?done=saved" } });
  }
  return jsonResponse(checked.preferences, 200, NO_STORE);
}

export const handler = define.handlers({
  async GET({ state }) {
    return jsonResponse(await getPushPreferences(state.services.kv, state.user!.id), 200, NO_STORE);
  },
  async PUT(ctx) {
    return await save(ctx, await readJsonObject(ctx.req), false);
  },
  async POST(ctx) {
    return await save(ctx, await readForm(ctx.req), true);
  },
});
