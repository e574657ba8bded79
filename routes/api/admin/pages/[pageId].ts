// Admin: stop sweeping a page that was added in settings.

import { isPageId, removeSettingsPage } from "../../../../lib/reconcile/pages.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError } from "../../../../lib/web/http_error.ts";

/** Only admins choose the pages reconciliation sweeps. */
export const access = "admin";

/** Page ids are Meta's digit strings; anything else is 404 before it reaches KV. */
export const params = { pageId: isPageId };

export const handler = define.handlers({
  /** 204 when the page was removed; 404 when it was not added in settings. */
  async DELETE({ params, state }) {
    if (!await removeSettingsPage(state.services.kv, params.pageId)) {
      throw new HttpError(404, `Page ${params.pageId} was not added in settings`);
    }
    return new Response(null, { status: 204 });
  },
});
