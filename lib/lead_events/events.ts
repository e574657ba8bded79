// The lead events other systems hear about, derived from a lead's timeline lines.

import type { LeadStatus, LeadTimelineEvent } from "../leads/model.ts";

/** The kinds of lead event sent out (webhooks) and acted on (push, Conversions API). */
export type LeadEventType =
  | "lead.created"
  | "lead.details_fetched"
  | "lead.status_changed"
  | "lead.assigned";

/** Every lead event type, for validating a destination's filter. */
export const LEAD_EVENT_TYPES: readonly LeadEventType[] = [
  "lead.created",
  "lead.details_fetched",
  "lead.status_changed",
  "lead.assigned",
];

/** What changed, by event type. */
export type LeadEventChange =
  | { type: "lead.created"; via: string | null }
  | { type: "lead.details_fetched" }
  | { type: "lead.status_changed"; from: LeadStatus | null; to: LeadStatus }
  | { type: "lead.assigned"; how: string; detail: string | null };

/** One event of one lead: a timeline line that other systems care about. */
export interface LeadEvent {
  /** `evt_` and the timeline record's id (a ULID): the same event always has the same id. */
  id: string;
  type: LeadEventType;
  leadId: string;
  /** ISO 8601, when it happened (the timeline line's time). */
  at: string;
  /** Who did it (a team member's name), when a person did. */
  by: string | null;
  change: LeadEventChange;
}

const OWNER_EVENTS = new Set(["claimed", "assigned", "routed", "re-assigned", "released"]);
const STATUS_CHANGE = /^(\w+) → (\w+)$/;
const STATUSES = new Set(["new", "contacted", "qualified", "won", "lost"]);

/**
 * The lead event a timeline line stands for, or null for lines no one outside hears about
 * (calls, notes, duplicate flags, failed fetches). `recordId` is the line's record id.
 */
export function leadEventOf(
  leadId: string,
  recordId: string,
  line: LeadTimelineEvent,
): LeadEvent | null {
  const base = { id: `evt_${recordId}`, leadId, at: line.at, by: line.by ?? null };
  if (line.event === "received") {
    return {
      ...base,
      type: "lead.created",
      change: { type: "lead.created", via: line.detail ?? null },
    };
  }
  if (line.event === "details fetched") {
    return { ...base, type: "lead.details_fetched", change: { type: "lead.details_fetched" } };
  }
  if (line.event === "status changed") {
    const match = STATUS_CHANGE.exec(line.detail ?? "");
    if (!match || !STATUSES.has(match[2])) return null;
    return {
      ...base,
      type: "lead.status_changed",
      change: {
        type: "lead.status_changed",
        from: STATUSES.has(match[1]) ? match[1] as LeadStatus : null,
        to: match[2] as LeadStatus,
      },
    };
  }
  if (OWNER_EVENTS.has(line.event)) {
    return {
      ...base,
      type: "lead.assigned",
      change: { type: "lead.assigned", how: line.event, detail: line.detail || null },
    };
  }
  return null;
}
