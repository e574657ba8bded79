// Every Deno KV key of outbound webhooks, each built by one named function.

/** `["outbound_destinations", id]` -> WebhookDestination. */
export function destinationKey(id: string): Deno.KvKey {
  return ["outbound_destinations", id];
}

/** The prefix of every destination. */
export const DESTINATIONS_PREFIX: Deno.KvKey = ["outbound_destinations"];

/** `["outbound_deliveries", destinationId, deliveryId]` -> WebhookDelivery; ids are ULIDs (time order). */
export function deliveryKey(destinationId: string, deliveryId: string): Deno.KvKey {
  return ["outbound_deliveries", destinationId, deliveryId];
}

/** The prefix of one destination's deliveries: its delivery log. */
export function deliveriesPrefix(destinationId: string): Deno.KvKey {
  return ["outbound_deliveries", destinationId];
}

/**
 * `["outbound_lanes", destinationId, leadId]` -> DeliveryLane: one lead's deliveries to one
 * destination not yet done, in order. Only the first has a job; the next waits for it.
 */
export function laneKey(destinationId: string, leadId: string): Deno.KvKey {
  return ["outbound_lanes", destinationId, leadId];
}
