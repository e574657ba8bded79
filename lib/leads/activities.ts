// Calls, notes, emails and texts logged on a lead: each its own record, written in one commit with
// its timeline line and the lead's counters (call attempts, next follow-up, last activity).

import { isUlid, ulid } from "../ids.ts";
import { leadActivitiesPrefix, leadActivityKey } from "./keys.ts";
import { changeLeadStatus, type Lead, type LeadTimelineEvent } from "./model.ts";
import type { LeadActor } from "./ownership.ts";
import { InvalidCursorError } from "../errors.ts";
import { LeadNotFoundError, type LeadStore } from "./store.ts";

/** What was done. */
export type ActivityKind = "call" | "note" | "email" | "sms";
/** How a call went. */
export type CallOutcome = "no_answer" | "voicemail" | "talked" | "wrong_number";

/** Every kind, for validation and forms. */
export const ACTIVITY_KINDS: readonly ActivityKind[] = ["call", "note", "email", "sms"];
/** Every call outcome, for validation and forms. */
export const CALL_OUTCOMES: readonly CallOutcome[] = [
  "no_answer",
  "voicemail",
  "talked",
  "wrong_number",
];
/** Longest text one activity holds (what a timeline line shows in full). */
export const ACTIVITY_TEXT_MAX = 2_000;

/** One activity as stored at `["lead_activities", leadId, id]` and served. */
export interface LeadActivity {
  id: string;
  leadId: string;
  kind: ActivityKind;
  outcome: CallOutcome | null;
  text: string | null;
  /** ISO 8601, when to get back to the person; null for none. */
  followUpAt: string | null;
  /** ISO 8601, when it was logged. */
  at: string;
  /** Who logged it. */
  byId: string;
  byName: string;
}

/** What a person logs, checked. */
export interface ActivityInput {
  kind: ActivityKind;
  outcome: CallOutcome | null;
  text: string | null;
  followUpAt: string | null;
}

/**
 * Field name -> why its value was refused: a whole sentence that names the field ("The call outcome
 * must be one of …."), safe to show next to the field as it is (as manual entry's errors are).
 */
export type ActivityFieldErrors = Record<string, string>;

/** The outcome of `checkActivity`. */
export type ActivityCheck =
  | { ok: true; input: ActivityInput }
  | { ok: false; fields: ActivityFieldErrors };

const FOLLOW_UP_AHEAD_MAX_MS = 2 * 365 * 24 * 60 * 60 * 1000;
const FOLLOW_UP_BEHIND_MAX_MS = 7 * 24 * 60 * 60 * 1000;

/** Words people read for an outcome: "no_answer" -> "no answer". */
export function outcomeLabel(outcome: string): string {
  return outcome.replace(/_/g, " ");
}

/**
 * Checks an activity: `kind` one of call, note, email, sms; `outcome` only for calls, one of
 * no_answer, voicemail, talked, wrong_number; `text` up to ACTIVITY_TEXT_MAX characters, required
 * for a note; `followUpAt` an ISO 8601 time with its offset, at most a week past and two years
 * ahead of `now`. Every bad field gets its own reason; unknown fields are refused.
 */
export function checkActivity(body: unknown, now: Date): ActivityCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, fields: { body: "Send the activity as a JSON object." } };
  }
  const record = body as Record<string, unknown>;
  const fields: ActivityFieldErrors = {};
  for (const key of Object.keys(record)) {
    if (!["kind", "outcome", "text", "followUpAt"].includes(key)) {
      fields[key.slice(0, 40)] = `An activity has no field ${key.slice(0, 40)}: leave it out.`;
    }
  }
  const kind = record.kind;
  if (typeof kind !== "string" || !(ACTIVITY_KINDS as readonly string[]).includes(kind)) {
    fields.kind = `Choose what was done: ${orList(ACTIVITY_KINDS)}.`;
  }
  let outcome: CallOutcome | null = null;
  if (record.outcome !== undefined && record.outcome !== null && record.outcome !== "") {
    if (kind !== "call") {
      fields.outcome = "Only a call has an outcome: leave the call outcome empty.";
    } else if (!(CALL_OUTCOMES as readonly unknown[]).includes(record.outcome)) {
      fields.outcome = `The call outcome must be ${orList(CALL_OUTCOMES)}.`;
    } else outcome = record.outcome as CallOutcome;
  }
  let text: string | null = null;
  if (record.text !== undefined && record.text !== null) {
    if (typeof record.text !== "string") fields.text = "The notes must be text.";
    else {
      text = record.text.trim() || null;
      if (text !== null && text.length > ACTIVITY_TEXT_MAX) {
        fields.text = `The notes must be at most ${ACTIVITY_TEXT_MAX} characters.`;
      }
    }
  }
  if (kind === "note" && text === null && !fields.text) {
    fields.text = "Write the note: a note needs text.";
  }
  let followUpAt: string | null = null;
  if (record.followUpAt !== undefined && record.followUpAt !== null && record.followUpAt !== "") {
    const raw = record.followUpAt;
    const ms = typeof raw === "string" && /(Z|[+-]\d{2}:?\d{2})$/i.test(raw.trim())
      ? Date.parse(raw)
      : NaN;
    if (!Number.isFinite(ms)) {
      fields.followUpAt =
        "The follow-up time must be a time with its zone, e.g. 2026-12-02T15:00:00Z.";
    } else if (ms < now.getTime() - FOLLOW_UP_BEHIND_MAX_MS) {
      fields.followUpAt = "The follow-up time must not be more than a week in the past.";
    } else if (ms > now.getTime() + FOLLOW_UP_AHEAD_MAX_MS) {
      fields.followUpAt = "The follow-up time must be within two years.";
    } else followUpAt = new Date(ms).toISOString();
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, input: { kind: kind as ActivityKind, outcome, text, followUpAt } };
}

/** "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/**
 * The timeline line of an activity: "call: talked", with its text as the detail and its follow-up
 * as a time of its own (each page shows it in its reader's zone).
 */
export function activityTimelineEvent(activity: LeadActivity): LeadTimelineEvent {
  const event: LeadTimelineEvent = {
    at: activity.at,
    event: activity.outcome ? `${activity.kind}: ${outcomeLabel(activity.outcome)}` : activity.kind,
    by: activity.byName,
  };
  if (activity.text) event.detail = activity.text;
  if (activity.followUpAt) event.followUpAt = activity.followUpAt;
  return event;
}

/**
 * The lead after `activity`: one more call attempt for a call; the last activity time; the next
 * follow-up; and for a call where the person was reached, first contact (a lead still new moves
 * to contacted, as a status change out of new does). A call, email or text closes the open
 * follow-up (working the lead was the follow-up) and opens its own, if it has one; a note keeps
 * the open follow-up unless it sets a new one.
 */
export function applyActivity(lead: Lead, activity: LeadActivity, now: Date): Lead {
  const keepsFollowUp = activity.kind === "note" && activity.followUpAt === null;
  let next: Lead = {
    ...lead,
    callAttempts: (lead.callAttempts ?? 0) + (activity.kind === "call" ? 1 : 0),
    lastActivityAt: activity.at,
    nextFollowUpAt: keepsFollowUp ? lead.nextFollowUpAt ?? null : activity.followUpAt,
    timeline: [...lead.timeline, activityTimelineEvent(activity)],
    updatedAt: activity.at,
  };
  if (activity.kind === "call" && activity.outcome === "talked") {
    if (next.status === "new") {
      next = changeLeadStatus(next, "contacted", now, { by: activity.byName }) ?? next;
    }
    next = { ...next, firstContactAt: next.firstContactAt ?? activity.at };
  }
  return next;
}

/** Options of `addLeadActivity`. */
export interface AddActivityOptions {
  now?: () => Date;
}

/**
 * Logs an activity on lead `id`: its record, its timeline line and the lead's counters land in
 * one commit (a change every open dashboard receives). A lead takes any number of activities:
 * none of them is kept in its record. Throws LeadNotFoundError.
 */
export async function addLeadActivity(
  store: LeadStore,
  id: string,
  input: ActivityInput,
  actor: LeadActor,
  options: AddActivityOptions = {},
): Promise<{ activity: LeadActivity; lead: Lead }> {
  const now = options.now ?? (() => new Date());
  let activity: LeadActivity | null = null;
  const lead = await store.updateLead(id, (current) => {
    const at = now();
    activity = {
      id: ulid(at.getTime()),
      leadId: id,
      kind: input.kind,
      outcome: input.kind === "call" ? input.outcome : null,
      text: input.text,
      followUpAt: input.followUpAt,
      at: at.toISOString(),
      byId: actor.id,
      byName: actor.name,
    };
    return applyActivity(current, activity, at);
  }, {
    onCommit(op) {
      if (activity) op.set(leadActivityKey(id, activity.id), activity);
    },
  });
  if (lead === null || activity === null) throw new LeadNotFoundError(id);
  return { activity, lead };
}

/** A page of a lead's activities, newest first. */
export interface LeadActivityPage {
  activities: LeadActivity[];
  /** Pass back as `before` for older ones; null when there are none. */
  before: string | null;
}

/**
 * A page of lead `leadId`'s activities, newest first; `before` is a cursor from an earlier page.
 * Throws InvalidCursorError for a cursor we did not give out.
 */
export async function listLeadActivities(
  kv: Deno.Kv,
  leadId: string,
  options: { limit?: number; before?: string | null } = {},
): Promise<LeadActivityPage> {
  const limit = Math.max(1, Math.min(Math.floor(options.limit ?? 50), 500));
  const before = options.before ?? null;
  if (before !== null && !isUlid(before)) {
    throw new InvalidCursorError(
      `Cannot list activities: cursor "${before.slice(0, 40)}" is not one we gave out`,
    );
  }
  const prefix = leadActivitiesPrefix(leadId);
  const selector: Deno.KvListSelector = before === null
    ? { prefix }
    : { prefix, end: leadActivityKey(leadId, before) };
  const activities: LeadActivity[] = [];
  for await (const entry of kv.list<LeadActivity>(selector, { reverse: true, limit: limit + 1 })) {
    activities.push(entry.value);
  }
  const page = activities.slice(0, limit);
  return { activities: page, before: activities.length > limit ? page.at(-1)!.id : null };
}
