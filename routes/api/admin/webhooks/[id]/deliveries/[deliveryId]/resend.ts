// POST (admins): sends a delivery's event again, after the lead's other pending events. A form
// post (the integrations page's Resend button) comes back to that page.

import { isUlid } from "../../../../../../../lib/ids.ts";
import { define } from "../../../../../../../lib/app_state.ts";
import { isFormPost } from "../../../../../../../lib/web/form_post.ts";
import { HttpError, jsonResponse } from "../../../../../../../lib/web/http_error.ts";

export const access = "admin";
export const params = { id: isUlid, deliveryId: isUlid };

export const handler = define.handlers({
  async POST({ req, params, state }) {
    const delivery = await state.services.outbound.resend(params.id, params.deliveryId);
    if (!delivery) throw new HttpError(404, "No such delivery (or its destination was removed)");
    state.services.log.info("webhook delivery resent", {
      requestId: state.requestId,
      destinationId: params.id,
      deliveryId: params.deliveryId,
      by: state.user!.id,
    });
    if (isFormPost(req)) {
      return new Response(null, {
        status: 303,
        headers: { location: `/settings/integrations?resent=${delivery.id}#${params.id}` },
      });
    }
    return jsonResponse({ delivery }, 201, { "cache-control": "no-store" });
  },
});
