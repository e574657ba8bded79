// A lead's activities: GET a page of them (newest first, `?before=` for older), POST logs a call,
// note, email or text (`{kind, outcome?, text?, followUpAt?}`): 201 with it, or 400 with `fields`.

import { readJsonObject } from "../../../../lib/web/body.ts";
import {
  addLeadActivity,
  checkActivity,
  listLeadActivities,
} from "../../../../lib/leads/activities.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";
import { LeadNotFoundError } from "../../../../lib/leads/store.ts";
import { isUlid } from "../../../../lib/ids.ts";

/** Lead ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async GET({ url, params, state }) {
    const { kv, leads } = state.services;
    if ((await leads.getLead(params.id)) === null) {
      throw new LeadNotFoundError(params.id);
    }
    const limitRaw = url.searchParams.get("limit");
    const limit = limitRaw === null ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new HttpError(
        400,
        "Cannot list activities: limit must be a whole number from 1 to 500",
      );
    }
    const page = await listLeadActivities(kv, params.id, {
      limit,
      before: url.searchParams.get("before"),
    });
    return jsonResponse(page, 200, { "cache-control": "no-store" });
  },

  async POST({ req, params, state }) {
    const { leads, log } = state.services;
    const user = state.user!;
    const checked = checkActivity(await readJsonObject(req), new Date());
    if (!checked.ok) {
      throw new HttpError(400, "Cannot log the activity: some fields are not right", {
        details: { fields: checked.fields },
      });
    }
    const { activity } = await addLeadActivity(leads, params.id, checked.input, user);
    log.info("lead activity logged", {
      requestId: state.requestId,
      leadId: params.id,
      kind: activity.kind,
      by: user.id,
    });
    return jsonResponse(activity, 201, { "cache-control": "no-store" });
  },
});
