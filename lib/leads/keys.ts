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

/**
 * `["leads_waiting", createdMs, id]` -> lead id, for every lead in status new that nobody has
 * contacted yet: "waiting now" and the oldest wait, and the leads routing hands out.
 */
export function leadWaitingKey(createdMs: number, id: string): Deno.KvKey {
  return ["leads_waiting", createdMs, id];
}

/** The prefix of every `leadWaitingKey`. */
export const LEADS_WAITING_PREFIX: Deno.KvKey = ["leads_waiting"];

/** Owner part of `leadByOwnerKey` for leads nobody owns. */
export const NO_OWNER = "none";

/** `["leads_by_owner", ownerId | "none", createdMs, id]` -> lead id: one owner's leads, by age. */
export function leadByOwnerKey(ownerId: string | null, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_owner", ownerId ?? NO_OWNER, createdMs, id];
}

/** The prefix of one owner's `leadByOwnerKey`s (null: the unowned leads). */
export function leadsByOwnerPrefix(ownerId: string | null): Deno.KvKey {
  return ["leads_by_owner", ownerId ?? NO_OWNER];
}

/**
 * `["leads_by_follow_up", followUpMs, id]` -> owner id or null: every open follow-up (of a lead
 * neither won nor lost), oldest first, for the Due view.
 */
export function leadByFollowUpKey(followUpMs: number, id: string): Deno.KvKey {
  return ["leads_by_follow_up", followUpMs, id];
}

/** The prefix of every `leadByFollowUpKey`. */
export const LEADS_BY_FOLLOW_UP_PREFIX: Deno.KvKey = ["leads_by_follow_up"];

/**
 * `["leads_by_assigned", assignedMs, id]` -> owner id, for every waiting lead (new, not contacted)
 * that has an owner: the ones re-assignment looks at once they waited too long.
 */
export function leadByAssignedKey(assignedMs: number, id: string): Deno.KvKey {
  return ["leads_by_assigned", assignedMs, id];
}

/** The prefix of every `leadByAssignedKey`. */
export const LEADS_BY_ASSIGNED_PREFIX: Deno.KvKey = ["leads_by_assigned"];

/**
 * `["lead_activities", leadId, activityId]` -> LeadActivity (a call, note, email or sms). The id
 * is a ULID, so one lead's activities list in the order they were logged; a lead takes any number.
 */
export function leadActivityKey(leadId: string, activityId: string): Deno.KvKey {
  return ["lead_activities", leadId, activityId];
}

/** The prefix of one lead's activity records. */
export function leadActivitiesPrefix(leadId: string): Deno.KvKey {
  return ["lead_activities", leadId];
}

/** `["lead_index_version"]` -> the index version every stored lead has been counted in. */
export function leadIndexVersionKey(): Deno.KvKey {
  return ["lead_index_version"];
}

/** The prefix of every `leadKey`. */
export const LEADS_PREFIX: Deno.KvKey = ["leads"];

/**
 * `["leads_unowned_waiting", createdMs, id]` -> lead id, for every waiting lead (new, not
 * contacted) that nobody owns: what automatic routing hands out.
 */
export function leadUnownedWaitingKey(createdMs: number, id: string): Deno.KvKey {
  return ["leads_unowned_waiting", createdMs, id];
}

/**
 * `["leads_by_status", status, createdMs, id]` -> the lead's filter summary (see
 * lib/leads/indexes.ts): one status's leads by age, filterable without reading them.
 */
export function leadByStatusKey(status: string, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_status", status, createdMs, id];
}

/** `["leads_by_form", formId, createdMs, id]` -> filter summary, for leads with a form. */
export function leadByFormKey(formId: string, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_form", formId, createdMs, id];
}

/** `["leads_by_campaign", campaignId, createdMs, id]` -> filter summary, for leads with a campaign. */
export function leadByCampaignKey(campaignId: string, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_campaign", campaignId, createdMs, id];
}

/** `["leads_by_source", source, createdMs, id]` -> filter summary. */
export function leadBySourceKey(source: string, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_source", source, createdMs, id];
}

/**
 * `["leads_by_term", term, createdMs, id]` -> filter summary: one key per search term of the lead
 * (lib/format/lead_search.ts), listed by string prefix to find partial names, emails and phones.
 */
export function leadByTermKey(term: string, createdMs: number, id: string): Deno.KvKey {
  return ["leads_by_term", term, createdMs, id];
}

/** The first part of each filter index's keys, by the filter field it serves. */
export const FILTER_INDEX_PREFIXES = {
  status: "leads_by_status",
  form: "leads_by_form",
  campaign: "leads_by_campaign",
  source: "leads_by_source",
  term: "leads_by_term",
} as const;
