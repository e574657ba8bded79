// A webhook destination's delivery log (admins): GET `?limit=` (default 50), newest first.

import { isUlid } from "../../../../../lib/ids.ts";
import { getDestination } from "../../../../../lib/outbound/destinations.ts";
import { define } from "../../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../../lib/web/http_error.ts";

export const access = "admin";
export const params = { id: isUlid };

export const handler = define.handlers({
  async GET({ url, params, state }) {
    if (!await getDestination(state.services.kv, params.id)) {
      throw new HttpError(404, "No webhook destination has that id");
    }
    const raw = url.searchParams.get("limit") ?? "50";
    if (!/^\d{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 500) {
      throw new HttpError(400, "Cannot list deliveries: limit must be 1 to 500");
    }
    const deliveries = await state.services.outbound.listDeliveries(params.id, Number(raw));
    return jsonResponse({ deliveries }, 200, { "cache-control": "no-store" });
  },
});
