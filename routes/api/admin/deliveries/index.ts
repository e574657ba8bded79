// The webhook deliveries log: the last deliveries, kept (replayable) and refused, newest first.

import { listDeliveryLog } from "../../../../lib/leads/deliveries.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";

/** Only admins see deliveries. */
export const access = "admin";

export const handler = define.handlers({
  async GET({ url, state }) {
    const raw = url.searchParams.get("limit") ?? "50";
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 500) {
      throw new HttpError(
        400,
        "Cannot list deliveries: limit must be a whole number from 1 to 500",
      );
    }
    const deliveries = await listDeliveryLog(state.services.kv, { limit: Number(raw) });
    return jsonResponse({ deliveries }, 200, { "cache-control": "no-store" });
  },
});
