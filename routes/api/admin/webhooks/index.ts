// Outbound webhook destinations (admins): GET lists them; POST `{url, events, description?}` adds
// one and answers its signing secret, the only time it is shown.

import { readJsonObject } from "../../../../lib/web/body.ts";
import {
  addDestination,
  listDestinations,
  toDestinationJson,
} from "../../../../lib/outbound/destinations.ts";
import { define } from "../../../../lib/app_state.ts";
import { jsonResponse } from "../../../../lib/web/http_error.ts";

/** Only admins send lead data to other systems. */
export const access = "admin";

const NO_STORE = { "cache-control": "no-store" };

export const handler = define.handlers({
  async GET({ state }) {
    const destinations = await listDestinations(state.services.kv);
    return jsonResponse({ destinations: destinations.map(toDestinationJson) }, 200, NO_STORE);
  },

  async POST({ req, state }) {
    const { kv, log } = state.services;
    const destination = await addDestination(kv, await readJsonObject(req), {
      by: state.user!.name,
    });
    log.info("webhook destination added", {
      requestId: state.requestId,
      destinationId: destination.id,
      host: new URL(destination.url).host,
    });
    return jsonResponse(
      { destination: toDestinationJson(destination), secret: destination.secret },
      201,
      NO_STORE,
    );
  },
});
