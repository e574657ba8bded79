// One webhook destination (admins): GET it; PATCH `{url?, events?, description?, rotateSecret?}`
// (a new secret is answered once); DELETE it (its pending deliveries then fail).

import { readJsonObject } from "../../../../lib/web/body.ts";
import { isUlid } from "../../../../lib/ids.ts";
import {
  getDestination,
  removeDestination,
  toDestinationJson,
  updateDestination,
} from "../../../../lib/outbound/destinations.ts";
import { define } from "../../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../../lib/web/http_error.ts";

export const access = "admin";
export const params = { id: isUlid };

const NO_STORE = { "cache-control": "no-store" };

function notFound(): never {
  throw new HttpError(404, "No webhook destination has that id");
}

export const handler = define.handlers({
  async GET({ params, state }) {
    const destination = await getDestination(state.services.kv, params.id) ?? notFound();
    return jsonResponse({ destination: toDestinationJson(destination) }, 200, NO_STORE);
  },

  async PATCH({ req, params, state }) {
    const body = await readJsonObject(req);
    const destination = await updateDestination(state.services.kv, params.id, body) ??
      notFound();
    return jsonResponse(
      {
        destination: toDestinationJson(destination),
        ...(body.rotateSecret === true ? { secret: destination.secret } : {}),
      },
      200,
      NO_STORE,
    );
  },

  async DELETE({ params, state }) {
    if (!await removeDestination(state.services.kv, params.id)) notFound();
    state.services.log.info("webhook destination removed", {
      requestId: state.requestId,
      destinationId: params.id,
    });
    return new Response(null, { status: 204 });
  },
});
