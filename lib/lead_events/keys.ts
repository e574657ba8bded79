// Every Deno KV key of the lead event feed, each built by one named function.

/** `["lead_event_feed_epoch"]` -> ISO time the feed first ran: older timeline lines are history. */
export function leadEventEpochKey(): Deno.KvKey {
  return ["lead_event_feed_epoch"];
}

/** `["lead_event_cursors", leadId]` -> LeadEventCursor: the lead's timeline lines already handled. */
export function leadEventCursorKey(leadId: string): Deno.KvKey {
  return ["lead_event_cursors", leadId];
}
