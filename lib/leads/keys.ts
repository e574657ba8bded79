// Every Deno KV key the lead store uses, each built by one named function.

/** `["leads", id]` -> Lead. */
export function leadKey(id: string): Deno.KvKey {
  return ["leads", id];
}

/** `["leads_by_leadgen", leadgenId]` -> lead id; its absence is the dedupe check. */
export function leadByLeadgenKey(leadgenId: string): Deno.KvKey {
  return ["leads_by_leadgen", leadgenId];
}

/** `["leads_by_created", createdMs, id]` -> lead id; listed in reverse for newest first. */
export function leadByCreatedKey(createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_created", createdMs, id];
}

/** The prefix of every `leadByCreatedKey`. */
export const LEADS_BY_CREATED_PREFIX: Deno.KvKey = ["leads_by_created"];

/** `["lead_changes", seq]` -> LeadChangeRecord, expires after the change log's retention. */
export function leadChangeKey(seq: number): Deno.KvKey {
  return ["lead_changes", seq];
}

/** `["lead_changes_head"]` -> the last change seq; written in every change's commit, so `kv.watch` it. */
export function leadChangesHeadKey(): Deno.KvKey {
  return ["lead_changes_head"];
}

/**
 * `["lead_timeline", leadId, eventId]` -> LeadTimelineEvent. The event id is a ULID, so one lead's
 * records list in the order they were written; a lead takes any number of them.
 */
export function leadTimelineKey(leadId: string, eventId: string): Deno.KvKey {
  return ["lead_timeline", leadId, eventId];
}

/** The prefix of one lead's timeline records. */
export function leadTimelinePrefix(leadId: string): Deno.KvKey {
  return ["lead_timeline", leadId];
}
