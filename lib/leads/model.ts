// The lead model: its shape, how leads are born (Meta webhook or by hand) and pure state changes.

import { DomainError } from "../errors.ts";
import { CANONICAL_ID } from "../facebook/exact_json.ts";
import type { LeadAdOrigin } from "../facebook/lead_fields.ts";
import { ulid } from "../ids.ts";

/** Where a lead came from. */
export type LeadSource = "meta" | "phone" | "sms" | "walk-in" | "other";
/** Whether the lead's answers have been fetched from the Graph API. */
export type LeadDetailsState = "pending" | "fetched" | "failed";
/** How a lead reached us. */
export type LeadArrival = "webhook" | "sync" | "manual";
/** Where the lead stands in the sales process. */
export type LeadStatus = "new" | "contacted" | "qualified" | "won" | "lost";

/** The statuses of the sales funnel past new, in order. */
export type FunnelStatus = "contacted" | "qualified" | "won";

/** How far along the funnel each status is (new and lost: not along it). */
export const FUNNEL_RANK: Readonly<Record<string, 0 | 1 | 2 | 3>> = {
  new: 0,
  lost: 0,
  contacted: 1,
  qualified: 2,
  won: 3,
};

/** Every source a lead can have, for validation. */
export const LEAD_SOURCES: readonly LeadSource[] = ["meta", "phone", "sms", "walk-in", "other"];
/** Every status a lead can have, for validation. */
export const LEAD_STATUSES: readonly LeadStatus[] = [
  "new",
  "contacted",
  "qualified",
  "won",
  "lost",
];

/** One answer of a lead form (Meta `field_data` entry). */
export interface LeadAnswer {
  name: string;
  values: string[];
}

/** One line of a lead's history, stored as a record of its own (see timeline.ts). */
export interface LeadTimelineEvent {
  at: string;
  event: string;
  detail?: string;
  /** Who did it (a signed-in user's name), when a person did. */
  by?: string;
  /**
   * ISO 8601: the follow-up an activity set, kept as a time (not words in `detail`) so each page
   * shows it in its reader's zone.
   */
  followUpAt?: string;
}

/**
 * A lead as stored and as served by the API, with the ad it came through (LeadAdOrigin). Meta ids
 * are strings; absent values are null.
 */
export interface Lead extends LeadAdOrigin {
  /** Our id, a ULID (time-ordered), for every source. */
  id: string;
  source: LeadSource;
  leadgenId: string | null;
  pageId: string | null;
  formId: string | null;
  formName: string | null;
  isOrganic: boolean | null;
  platform: string | null;
  /**
   * ISO 8601, when the person submitted (Meta created_time). Never later than a few minutes after
   * `receivedAt` (CREATED_TIME_SKEW_MS): a time further ahead is taken as the receive time, since
   * a lead from the future would stay on top of every list for ever.
   */
  createdTime: string;
  /** Meta's created_time as reported, when it was in the future and `createdTime` was clamped. */
  createdTimeReported: string | null;
  /** ISO 8601, when we stored it. */
  receivedAt: string;
  /**
   * How the lead reached us: a webhook delivery, a sync with Meta (the webhook never came) or
   * typed in by hand. Null on leads stored before this was recorded (their timeline says it).
   */
  receivedVia: LeadArrival | null;
  fullName: string | null;
  email: string | null;
  phone: string | null;
  answers: LeadAnswer[];
  details: LeadDetailsState;
  detailsError: string | null;
  detailsAttempts: number;
  status: LeadStatus;
  /** ISO 8601, the first status change away from "new" (speed to lead); null until then. */
  firstContactAt: string | null;
  notes: string | null;
  possibleDuplicateOf: string | null;
  /** Set when the answers were too large for one KV value and were shortened to fit; else null. */
  answersTruncated: LeadAnswersTruncation | null;
  /** The team member (user id) who owns the lead, or null when nobody does. */
  ownerId: string | null;
  /**
   * The owner's name as it was when the lead was given to them (a snapshot, so lists and live
   * events need no user reads); null when nobody owns the lead.
   */
  ownerName: string | null;
  /** ISO 8601, when the current owner got the lead (claim, assignment, routing); null without owner. */
  assignedAt: string | null;
  /** ISO 8601, when automatic routing first handed the lead out; null when it never did. */
  routedAt: string | null;
  /** Calls logged (activities of kind "call"), answered or not. */
  callAttempts: number;
  /** ISO 8601, the follow-up planned by the latest activity that set one; null when none is open. */
  nextFollowUpAt: string | null;
  /** ISO 8601, when the latest activity (call, note, email, sms) was logged; null before any. */
  lastActivityAt: string | null;
  /**
   * The furthest the lead got in the sales funnel, kept when it later moves back or is lost (the
   * reports' funnel counts it there); absent until its status first changes. Never served.
   */
  furthestStage?: FunnelStatus;
  /**
   * Which version of the derived indexes and statistics this record is counted in (see
   * lib/leads/indexes.ts); absent on leads stored before they existed. Never served.
   */
  indexed?: number;
  /**
   * Received, details fetched/failed, status changes: events to record. The timeline lives in
   * records of its own (`["lead_timeline", id, eventId]`, see timeline.ts), never in the lead's
   * record, so a lead takes any number of events. The functions below append the events a change
   * makes here; the store writes them as records in the commit of that change and returns them
   * here. A lead read from KV has only the events of a lead stored before the timeline had records
   * (kept inline until its next write); the lead page and `GET /api/leads/:id` put a page of the
   * whole timeline here.
   */
  timeline: LeadTimelineEvent[];
  updatedAt: string;
}

/** How a lead's answers were shortened to fit one KV value. */
export interface LeadAnswersTruncation {
  /** Answer values cut short; each ends with " [truncated: N more characters]". */
  values: number;
  /** Characters left out of those values. */
  characters: number;
  /** Answers left out entirely, when cutting values was not enough (contact answers are kept). */
  answersDropped: number;
}

/** A lead (or input for one) broke a rule; the message says which. */
export class LeadValidationError extends DomainError {
  /** Make the error; `message` is safe to show to the user. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/** The `leadgen` change of a Meta webhook delivery, ids already kept as strings. */
export interface MetaLeadgenChange {
  leadgenId: string;
  pageId: string | null;
  formId: string | null;
  adId: string | null;
  /** Legacy Marketing API name: an "ad group" is what Meta now calls an ad, not an ad set. */
  adgroupId: string | null;
  /** Unix seconds; null when Meta left it out. */
  createdTime: number | null;
}

/** How far past its receive time a lead's created time may be (clocks differ a little). */
export const CREATED_TIME_SKEW_MS = 5 * 60 * 1000;

/**
 * `created` as a lead's created time, given when the lead was received: a time more than
 * CREATED_TIME_SKEW_MS after `receivedAt` becomes `receivedAt`, and the original is kept in
 * `reported`; any other time is kept as is (`reported` null).
 */
export function clampCreatedTime(
  created: string,
  receivedAt: string,
): { createdTime: string; reported: string | null } {
  const createdMs = Date.parse(created);
  const receivedMs = Date.parse(receivedAt);
  if (createdMs > receivedMs + CREATED_TIME_SKEW_MS) {
    return { createdTime: receivedAt, reported: created };
  }
  return { createdTime: created, reported: null };
}

/** The lead stub for a webhook change: details pending until the Graph API fetch fills them in. */
export function newMetaLead(change: MetaLeadgenChange, now: Date): Lead {
  // One form only (no leading zero, no sign): "0123" and "123" must not become two leads.
  if (typeof change.leadgenId !== "string" || !CANONICAL_ID.test(change.leadgenId)) {
    throw new LeadValidationError(
      `Cannot make a Meta lead: leadgenId must be a positive whole number in plain digits ` +
        `(no leading zero, at most 20 digits), got ${JSON.stringify(change.leadgenId)}`,
    );
  }
  const at = now.toISOString();
  const created = change.createdTime !== null && Number.isFinite(change.createdTime)
    ? new Date(change.createdTime * 1000)
    : now;
  const { createdTime, reported } = clampCreatedTime(
    isNaN(created.getTime()) ? at : created.toISOString(),
    at,
  );
  return {
    ...emptyLead(at),
    source: "meta",
    leadgenId: change.leadgenId,
    pageId: change.pageId,
    formId: change.formId,
    // adgroup_id is the legacy name of the ad id; the ad set comes from the Graph API fetch.
    adId: change.adId ?? change.adgroupId,
    createdTime,
    createdTimeReported: reported,
    details: "pending",
    receivedVia: "webhook",
    timeline: [{ at, event: "received", detail: "webhook" }],
  };
}

/** What a person types to create a lead by hand (phone call, SMS, walk-in). */
export interface ManualLeadInput {
  source: Exclude<LeadSource, "meta">;
  fullName?: string | null;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
  answers?: LeadAnswer[];
  /** ISO 8601 time of first contact; defaults to now. */
  createdTime?: string | null;
}

const LIMITS = { name: 200, email: 320, phone: 50, notes: 5_000, answers: 100, answerText: 2_000 };

function cleanText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    throw new LeadValidationError(`Cannot make a lead: ${field} must be a string`);
  }
  const trimmed = value.trim();
  if (trimmed.length > max) {
    throw new LeadValidationError(`Cannot make a lead: ${field} is longer than ${max} characters`);
  }
  return trimmed === "" ? null : trimmed;
}

/** A lead entered by hand; validates the input and throws LeadValidationError on bad values. */
export function newManualLead(input: ManualLeadInput, now: Date): Lead {
  if (!LEAD_SOURCES.includes(input.source) || (input.source as LeadSource) === "meta") {
    throw new LeadValidationError(
      `Cannot make a lead by hand: source must be one of phone, sms, walk-in, other`,
    );
  }
  const fullName = cleanText(input.fullName, "fullName", LIMITS.name);
  const email = cleanText(input.email, "email", LIMITS.email);
  const phone = cleanText(input.phone, "phone", LIMITS.phone);
  if (!fullName && !email && !phone) {
    throw new LeadValidationError(
      "Cannot make a lead by hand: give at least a name, an email or a phone number",
    );
  }
  if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new LeadValidationError("Cannot make a lead by hand: email is not an email address");
  }
  const answers = input.answers ?? [];
  if (!Array.isArray(answers) || answers.length > LIMITS.answers) {
    throw new LeadValidationError(
      `Cannot make a lead by hand: answers must be a list of at most ${LIMITS.answers}`,
    );
  }
  const at = now.toISOString();
  let createdTime = at;
  if (input.createdTime) {
    const created = new Date(input.createdTime);
    if (isNaN(created.getTime())) {
      throw new LeadValidationError("Cannot make a lead by hand: createdTime is not a date");
    }
    createdTime = created.toISOString();
  }
  return {
    ...emptyLead(at),
    source: input.source,
    createdTime,
    fullName,
    email,
    phone,
    notes: cleanText(input.notes, "notes", LIMITS.notes),
    answers: answers.map((answer, i) => ({
      name: cleanText(answer?.name, `answers[${i}].name`, LIMITS.name) ?? "",
      values: (Array.isArray(answer?.values) ? answer.values : []).map((value, j) =>
        cleanText(value, `answers[${i}].values[${j}]`, LIMITS.answerText) ?? ""
      ),
    })),
    // Nothing to fetch for a lead typed in by hand: its details are complete.
    details: "fetched",
    receivedVia: "manual",
    timeline: [{ at, event: "received", detail: input.source }],
  };
}

function emptyLead(at: string): Lead {
  return {
    id: ulid(Date.parse(at)),
    source: "other",
    leadgenId: null,
    pageId: null,
    formId: null,
    formName: null,
    adId: null,
    adName: null,
    adsetId: null,
    adsetName: null,
    campaignId: null,
    campaignName: null,
    isOrganic: null,
    platform: null,
    createdTime: at,
    createdTimeReported: null,
    receivedAt: at,
    receivedVia: null,
    fullName: null,
    email: null,
    phone: null,
    answers: [],
    details: "pending",
    detailsError: null,
    detailsAttempts: 0,
    status: "new",
    firstContactAt: null,
    notes: null,
    possibleDuplicateOf: null,
    answersTruncated: null,
    ownerId: null,
    ownerName: null,
    assignedAt: null,
    routedAt: null,
    callAttempts: 0,
    nextFollowUpAt: null,
    lastActivityAt: null,
    timeline: [],
    updatedAt: at,
  };
}

/** What the Graph API fetch found out about a lead; absent fields leave the lead as it is. */
export type LeadDetails = Partial<
  Pick<
    Lead,
    | "formName"
    | "adId"
    | "adName"
    | "adsetId"
    | "adsetName"
    | "campaignId"
    | "campaignName"
    | "isOrganic"
    | "platform"
    | "createdTime"
    | "fullName"
    | "email"
    | "phone"
    | "answers"
    | "formId"
    | "pageId"
  >
>;

/**
 * The lead with fetched details merged in, details "fetched" and a timeline line. A created time
 * in the details is clamped to the lead's receive time (see clampCreatedTime).
 */
export function applyLeadDetails(lead: Lead, details: LeadDetails, now: Date): Lead {
  const defined = Object.fromEntries(
    Object.entries(details).filter(([, value]) => value !== undefined),
  ) as LeadDetails;
  const at = now.toISOString();
  const created = defined.createdTime === undefined
    ? null
    : clampCreatedTime(defined.createdTime, lead.receivedAt);
  return {
    ...lead,
    ...defined,
    ...(created ? { createdTime: created.createdTime, createdTimeReported: created.reported } : {}),
    details: "fetched",
    detailsError: null,
    detailsAttempts: lead.detailsAttempts + 1,
    timeline: [...lead.timeline, { at, event: "details fetched" }],
    updatedAt: at,
  };
}

/** The lead with details "failed" and the reason (shown next to the retry button). */
export function markLeadDetailsFailed(lead: Lead, reason: string, now: Date): Lead {
  const at = now.toISOString();
  return {
    ...lead,
    details: "failed",
    detailsError: reason,
    detailsAttempts: lead.detailsAttempts + 1,
    timeline: [...lead.timeline, { at, event: "details failed", detail: reason }],
    updatedAt: at,
  };
}

/** The lead with details "pending" again, for a retry asked for by a user. */
export function markLeadDetailsPending(lead: Lead, now: Date): Lead {
  const at = now.toISOString();
  return {
    ...lead,
    details: "pending",
    detailsError: null,
    timeline: [...lead.timeline, { at, event: "details retry" }],
    updatedAt: at,
  };
}

/** Options of `changeLeadStatus`. */
export interface ChangeLeadStatusOptions {
  /** Who changed it (a user's name), recorded on the timeline. */
  by?: string | null;
}

/** The lead in a new status, or null when it already has that status (nothing to record). */
export function changeLeadStatus(
  lead: Lead,
  status: LeadStatus,
  now: Date,
  options: ChangeLeadStatusOptions = {},
): Lead | null {
  if (!LEAD_STATUSES.includes(status)) {
    throw new LeadValidationError(
      `Cannot change lead status: "${status}" is not one of ${LEAD_STATUSES.join(", ")}`,
    );
  }
  if (lead.status === status) return null;
  const at = now.toISOString();
  const event: LeadTimelineEvent = {
    at,
    event: "status changed",
    detail: `${lead.status} → ${status}`,
  };
  if (options.by) event.by = options.by;
  const furthest = lead.furthestStage ?? lead.status;
  return {
    ...lead,
    status,
    ...(FUNNEL_RANK[status] > (FUNNEL_RANK[furthest] ?? 0)
      ? { furthestStage: status as FunnelStatus }
      : FUNNEL_RANK[furthest]
      ? { furthestStage: furthest as FunnelStatus }
      : {}),
    // The first move away from "new" is when someone got back to the person; later moves keep it.
    firstContactAt: lead.firstContactAt ?? firstStatusChangeAt(lead.timeline) ??
      (status === "new" ? null : at),
    timeline: [...lead.timeline, event],
    updatedAt: at,
  };
}

/** The lead as JSON for the API: every field present (null rather than missing), in a fixed order. */
export function toLeadJson(lead: Lead): Lead {
  return {
    id: lead.id,
    source: lead.source,
    leadgenId: lead.leadgenId ?? null,
    pageId: lead.pageId ?? null,
    formId: lead.formId ?? null,
    formName: lead.formName ?? null,
    adId: lead.adId ?? null,
    adName: lead.adName ?? null,
    adsetId: lead.adsetId ?? null,
    adsetName: lead.adsetName ?? null,
    campaignId: lead.campaignId ?? null,
    campaignName: lead.campaignName ?? null,
    isOrganic: lead.isOrganic ?? null,
    platform: lead.platform ?? null,
    createdTime: lead.createdTime,
    createdTimeReported: lead.createdTimeReported ?? null,
    receivedAt: lead.receivedAt,
    receivedVia: lead.receivedVia ?? null,
    fullName: lead.fullName ?? null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    answers: lead.answers ?? [],
    details: lead.details,
    detailsError: lead.detailsError ?? null,
    detailsAttempts: lead.detailsAttempts ?? 0,
    status: lead.status,
    firstContactAt: lead.firstContactAt ?? firstStatusChangeAt(lead.timeline ?? []),
    notes: lead.notes ?? null,
    possibleDuplicateOf: lead.possibleDuplicateOf ?? null,
    answersTruncated: lead.answersTruncated ?? null,
    // Leads stored before ownership and activities existed read as unowned, with no activity.
    ownerId: lead.ownerId ?? null,
    ownerName: lead.ownerName ?? null,
    assignedAt: lead.assignedAt ?? null,
    routedAt: lead.routedAt ?? null,
    callAttempts: lead.callAttempts ?? 0,
    nextFollowUpAt: lead.nextFollowUpAt ?? null,
    lastActivityAt: lead.lastActivityAt ?? null,
    timeline: lead.timeline ?? [],
    updatedAt: lead.updatedAt,
  };
}

/**
 * When the first status change on `timeline` happened, or null. Leads stored before
 * `firstContactAt` existed get it from here; every lead starts "new", so its first change is a
 * move away from it.
 */
export function firstStatusChangeAt(timeline: LeadTimelineEvent[]): string | null {
  return timeline.find((entry) => entry.event === "status changed")?.at ?? null;
}
