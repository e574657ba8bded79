// Saved views: `GET /api/views` lists the built-in views and the user's own; `POST` `{"name",
// "query"}` saves one (a form post, from the dashboard's "Save view", comes back to the view).

import { getTeamSettings } from "../../../lib/routing/settings.ts";
import { builtInViews, createSavedView, listSavedViews } from "../../../lib/leads/saved_views.ts";
import { clockOf } from "../../../lib/local_time.ts";
import { readForm, readJsonObject } from "../../../lib/web/body.ts";
import { define } from "../../../lib/app_state.ts";
import { isFormPost } from "../../../lib/web/form_post.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async GET({ req, state }) {
    const { kv } = state.services;
    const settings = await getTeamSettings(kv);
    const views = [
      ...builtInViews(Date.now(), clockOf(req, settings.timeZone).timeZone),
      ...await listSavedViews(kv, state.user!.id),
    ];
    return jsonResponse({ views }, 200, { "cache-control": "no-store" });
  },

  async POST({ req, state }) {
    const { kv } = state.services;
    const form = isFormPost(req);
    const body = form ? await readForm(req) : await readJsonObject(req);
    const view = await createSavedView(kv, state.user!.id, { name: body.name, query: body.query });
    if (form) {
      return new Response(null, {
        status: 303,
        headers: { location: view.query ? `/?${view.query}` : "/" },
      });
    }
    return jsonResponse(view, 201, {
      "cache-control": "no-store",
      location: `/api/views/${view.id}`,
    });
  },
});
