// Admin: the Facebook pages reconciliation sweeps; list them, and add one by id in settings.

import { readJsonObject } from "../../../../lib/web/body.ts";
import {
  addSettingsPage,
  followLeadPages,
  listSeenPages,
  listSettingsPages,
} from "../../../../lib/reconcile/pages.ts";
import { define } from "../../../../lib/app_state.ts";
import { jsonResponse } from "../../../../lib/web/http_error.ts";

/** Only admins choose the pages reconciliation sweeps. */
export const access = "admin";

export const handler = define.handlers({
  /** `{ configured, fromLeads, settings }`: page ids from META_PAGE_TOKENS, from leads, added here. */
  async GET({ state }) {
    const { kv, config, leads } = state.services;
    await followLeadPages(kv, leads, new Date());
    return jsonResponse(
      {
        configured: Object.keys(config.meta?.pageTokens ?? {}).sort(),
        fromLeads: (await listSeenPages(kv)).map((page) => page.pageId),
        settings: await listSettingsPages(kv),
        demo: config.meta === null,
      },
      200,
      { "cache-control": "no-store" },
    );
  },

  /** Adds `{ "pageId": "<digits>" }` to the pages swept; 201 with the page. */
  async POST({ req, state }) {
    const body = await readJsonObject(req);
    const page = await addSettingsPage(state.services.kv, body.pageId as string, new Date());
    state.services.log.info("page added to reconciliation", {
      pageId: page.pageId,
      by: state.user?.id ?? null,
    });
    return jsonResponse({ page }, 201);
  },
});
