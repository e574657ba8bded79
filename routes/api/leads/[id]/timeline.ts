// One lead's timeline, a page at a time, newest first across pages: `?before=<cursor>&limit=<n>`.

import { TIMELINE_PAGE_MAX } from "../../../../lib/leads/timeline.ts";
import { isUlid } from "../../../../lib/ids.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";
import { LeadNotFoundError } from "../../../../lib/leads/store.ts";

/** Lead ids are ULIDs; anything else is a 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  /** 200 `{ events, before }` (events oldest first; `before` null on the oldest page), 400, 404. */
  async GET({ url, params, state }) {
    const { leads } = state.services;
    const limitParam = url.searchParams.get("limit");
    if (limitParam !== null && !/^\d{1,3}$/.test(limitParam)) {
      throw new HttpError(400, `Cannot list the timeline: limit must be 1 to ${TIMELINE_PAGE_MAX}`);
    }
    const limit = limitParam === null ? undefined : Number(limitParam);
    if (limit !== undefined && (limit < 1 || limit > TIMELINE_PAGE_MAX)) {
      throw new HttpError(400, `Cannot list the timeline: limit must be 1 to ${TIMELINE_PAGE_MAX}`);
    }
    const found = await leads.getLeadWithTimeline(params.id, {
      before: url.searchParams.get("before"),
      limit,
    });
    if (found === null) throw new LeadNotFoundError(params.id);
    return jsonResponse(found.timeline, 200, { "cache-control": "no-store" });
  },
});
