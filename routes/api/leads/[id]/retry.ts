// Schedules the details fetch of a failed lead again (the dashboard's retry button).

import { retryLeadDetails } from "../../../../lib/leads/fetch_details.ts";
import { toLeadJson } from "../../../../lib/leads/model.ts";
import { define } from "../../../../lib/web/define.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async POST({ params, state }) {
    const { kv, leads, jobs } = state.services;
    const { outcome, lead } = await retryLeadDetails({ kv, leads, jobs }, params.id);
    if (outcome === "not_found") throw new HttpError(404, `No lead has the id ${params.id}`);
    if (outcome === "not_failed") {
      throw new HttpError(
        409,
        `Cannot retry lead ${params.id}: its details are ${lead?.details}, not failed`,
      );
    }
    state.services.log.info("lead details fetch retried", {
      requestId: state.requestId,
      leadId: params.id,
      by: state.user?.id ?? null,
    });
    return jsonResponse(toLeadJson(lead!), 202);
  },
});
