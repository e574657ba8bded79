// Replays a kept webhook delivery: its exact raw bytes go through ingestion again (the leadgen
// dedupe makes that safe) and the replay is recorded on it. A form post goes back to Settings (303).

import { isUlid } from "../../../../../lib/ids.ts";
import { define } from "../../../../../lib/app_state.ts";
import { isFormPost } from "../../../../../lib/web/form_post.ts";
import { HttpError, jsonResponse } from "../../../../../lib/web/http_error.ts";

/** Only admins replay deliveries. */
export const access = "admin";

/** Delivery ids are ULIDs; anything else is 404 before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers({
  async POST({ req, params, state }) {
    const { ingestion, log } = state.services;
    const result = await ingestion.replay(params.id, {
      requestId: state.requestId,
      by: state.user?.name ?? null,
    });
    log.info("webhook delivery replayed", {
      requestId: state.requestId,
      deliveryId: params.id,
      by: state.user?.id ?? null,
      outcome: result?.outcome ?? "expired",
    });
    if (isFormPost(req)) {
      await req.body?.cancel();
      const done = result === null ? "replay_missing" : "replayed";
      return new Response(null, {
        status: 303,
        headers: { location: `/settings?done=${done}#deliveries` },
      });
    }
    if (result === null) {
      throw new HttpError(
        404,
        `Cannot replay delivery ${params.id}: it is not kept (deliveries are kept 7 days)`,
      );
    }
    return jsonResponse({ deliveryId: params.id, ...result });
  },
});
