// Many leads at once: `POST /api/leads/bulk` `{"action": "assign", "ids": [...], "ownerId": "<user
// id>" | null}` or `{"action": "status", "ids": [...], "status": "qualified"}`; answers what
// happened to each (`{updated, unchanged, failed: [{id, error}], summary}`).

import { applyBulkChange, parseBulkChange } from "../../../lib/leads/bulk.ts";
import { readJsonObject } from "../../../lib/web/body.ts";
import { define } from "../../../lib/app_state.ts";
import { jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ req, state }) {
    const { kv, leads, log } = state.services;
    const user = state.user!;
    const change = parseBulkChange(await readJsonObject(req, { limit: 64 * 1024 }));
    const answer = await applyBulkChange({ kv, store: leads }, change, user);
    log.info("leads changed in bulk", {
      requestId: state.requestId,
      action: change.action,
      leads: change.ids.length,
      updated: answer.updated,
      failed: answer.failed.length,
      by: user.id,
    });
    return jsonResponse(answer, 200, { "cache-control": "no-store" });
  },
});
