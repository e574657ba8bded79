// The signed-in user's devices for notifications: GET lists them, POST adds this browser's
// subscription (`PushSubscription.toJSON()`), DELETE `{endpoint}` removes it.

import { readJsonObject } from "../../../lib/web/body.ts";
import {
  deviceName,
  listPushSubscriptions,
  parsePushSubscription,
  type PushSubscriptionRecord,
  removePushSubscription,
  savePushSubscription,
} from "../../../lib/push/subscriptions.ts";
import { define } from "../../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../../lib/web/http_error.ts";
import type { PushDevice } from "../../../lib/wire.ts";

const NO_STORE = { "cache-control": "no-store" };

/** A device as its owner sees it: the push service's host, never the endpoint (a capability). */
function deviceJson(record: PushSubscriptionRecord): PushDevice {
  return {
    id: record.id,
    device: record.device,
    pushService: new URL(record.endpoint).host,
    createdAt: record.createdAt,
    lastSuccessAt: record.lastSuccessAt,
  };
}

export const handler = define.handlers({
  async GET({ state }) {
    const devices = await listPushSubscriptions(state.services.kv, state.user!.id);
    return jsonResponse({ devices: devices.map(deviceJson) }, 200, NO_STORE);
  },

  async POST({ req, state }) {
    const { kv, log } = state.services;
    const input = parsePushSubscription(await readJsonObject(req), {
      allowLocal: state.services.config.meta === null,
    });
    const record = await savePushSubscription(kv, state.user!.id, input, {
      device: deviceName(req.headers.get("user-agent")),
    });
    log.info("push notifications on for a device", {
      requestId: state.requestId,
      userId: state.user!.id,
      subscriptionId: record.id,
    });
    return jsonResponse({ device: deviceJson(record) }, 201, NO_STORE);
  },

  async DELETE({ req, state }) {
    const body = await readJsonObject(req);
    if (typeof body.endpoint !== "string" || body.endpoint === "") {
      throw new HttpError(400, "Cannot switch the device off: send its endpoint.");
    }
    const removed = await removePushSubscription(state.services.kv, state.user!.id, body.endpoint);
    return jsonResponse({ removed }, 200, NO_STORE);
  },
});
