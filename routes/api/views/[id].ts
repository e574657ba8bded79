// One saved view of the signed-in user: `PATCH` `{"name"?, "query"?}` changes it, `DELETE` removes
// it (a form post with `_method=delete`, from the dashboard, comes back to it).

import { deleteSavedView, updateSavedView } from "../../../lib/leads/saved_views.ts";
import { isUlid } from "../../../lib/ids.ts";
import { readJsonObject } from "../../../lib/web/body.ts";
import { define } from "../../../lib/app_state.ts";
import { isFormPost } from "../../../lib/web/form_post.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

/** A user's views have ULIDs (the built-in ones cannot be changed). */
export const params = { id: isUlid };

export const handler = define.handlers({
  async PATCH({ req, params, state }) {
    const body = await readJsonObject(req);
    const view = await updateSavedView(state.services.kv, state.user!.id, params.id, {
      name: body.name,
      query: body.query,
    });
    return jsonResponse(view, 200, { "cache-control": "no-store" });
  },

  async DELETE({ params, state }) {
    await deleteSavedView(state.services.kv, state.user!.id, params.id);
    return new Response(null, { status: 204 });
  },

  /** Plain forms cannot send DELETE: the dashboard's delete button posts here. */
  async POST({ req, params, state }) {
    if (!isFormPost(req)) {
      throw new HttpError(405, "Cannot change the view: use PATCH or DELETE");
    }
    await deleteSavedView(state.services.kv, state.user!.id, params.id);
    return new Response(null, { status: 303, headers: { location: "/" } });
  },
});
