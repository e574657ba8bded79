// One lead as JSON, by our id.

import { toLeadJson } from "../../../lib/leads/model.ts";
import { define } from "../../../lib/web/define.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";

export const handler = define.handlers({
  async GET({ params, state }) {
    const lead = await state.services.leads.getLead(params.id);
    if (lead === null) throw new HttpError(404, `No lead has the id ${params.id}`);
    return jsonResponse(toLeadJson(lead), 200, { "cache-control": "no-store" });
  },
});
