// The signed-in user's shift: GET says whether they are on it and who is; POST `{onShift: bool}`
// (or a form's `onShift=on|off`, which comes back to the dashboard) switches it.

import { readForm, readJsonObject } from "../../lib/web/body.ts";
import { ownOrigin } from "../../lib/web/request_info.ts";
import { isOnShift, listOnShift, setOnShift } from "../../lib/routing/shift.ts";
import { define } from "../../lib/app_state.ts";
import { formReturnPath, isFormPost } from "../../lib/web/form_post.ts";
import { HttpError, jsonResponse } from "../../lib/web/http_error.ts";

export const handler = define.handlers({
  async GET({ state }) {
    const { kv } = state.services;
    return jsonResponse(
      { onShift: await isOnShift(kv, state.user!.id), agents: await listOnShift(kv) },
      200,
      { "cache-control": "no-store" },
    );
  },

  async POST({ req, state }) {
    const { kv, config, log } = state.services;
    const user = state.user!;
    const form = isFormPost(req);
    const raw = form ? (await readForm(req)).onShift : (await readJsonObject(req)).onShift;
    const on = raw === true || raw === "on" ? true : raw === false || raw === "off" ? false : null;
    if (on === null) {
      throw new HttpError(400, 'Cannot change the shift: "onShift" must be true or false');
    }
    await setOnShift(kv, user.id, on);
    log.info(on ? "on shift" : "off shift", { requestId: state.requestId, userId: user.id });
    if (form) {
      const location = formReturnPath(
        req.headers.get("referer"),
        ownOrigin(req, config.trustProxy),
        "/",
      );
      return new Response(null, { status: 303, headers: { location } });
    }
    return jsonResponse({ onShift: on, agents: await listOnShift(kv) }, 200, {
      "cache-control": "no-store",
    });
  },
});
