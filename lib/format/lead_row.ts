// How a lead's row reads: its name, form, ad, owner, waiting clock and order. Pure, for the
// dashboard island and the server's pages alike (its shape, LeadRow, is in lib/wire.ts).

import type { ClockThresholds, LeadRow } from "../wire.ts";
import { waitText } from "./durations.ts";
import { isContactQuestion } from "./lead_search.ts";

/** An API lead, or a row: what `toLeadRow` reads. */
export type RowSource = LeadRow & { answers?: { name: string; values: string[] }[] | null };

/**
 * The row of an API lead; unknown extra fields are dropped so island props stay small. The row's
 * highlights are the answers `columns` names for the lead's form (default: its first two custom
 * answers); a row given without answers keeps the highlights it has.
 */
export function toLeadRow(lead: RowSource, columns?: Record<string, string[]>): LeadRow {
  return {
    id: lead.id,
    fullName: lead.fullName ?? null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    formName: lead.formName ?? null,
    formId: lead.formId ?? null,
    adName: lead.adName ?? null,
    campaignName: lead.campaignName ?? null,
    campaignId: lead.campaignId ?? null,
    source: lead.source,
    createdTime: lead.createdTime,
    status: lead.status,
    details: lead.details,
    detailsError: lead.detailsError ?? null,
    ownerId: lead.ownerId ?? null,
    ownerName: lead.ownerName ?? null,
    firstContactAt: lead.firstContactAt ?? null,
    callAttempts: lead.callAttempts ?? 0,
    nextFollowUpAt: lead.nextFollowUpAt ?? null,
    possibleDuplicateOf: lead.possibleDuplicateOf ?? null,
    highlights: lead.answers ? highlightsOf(lead, columns) : lead.highlights ?? [],
  };
}

/** Questions people read: "which_model_would_you_like?" -> "Which model would you like". */
export function questionLabel(name: string): string {
  const words = name.replace(/[_?]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The answers a row shows: the form's chosen questions, or its first two custom ones. */
function highlightsOf(lead: RowSource, columns?: Record<string, string[]>): [string, string][] {
  const answers = (lead.answers ?? []).filter((answer) => !isContactQuestion(answer.name));
  const chosen = lead.formId ? columns?.[lead.formId] : undefined;
  const picked = chosen
    ? chosen.map((name) => answers.find((answer) => answer.name === name))
    : answers.slice(0, 2);
  return picked.filter((answer) => answer !== undefined)
    .map((answer) => [questionLabel(answer!.name), answer!.values.join(", ").slice(0, 120)]);
}

/** Due view order: the oldest follow-up first, then as `compareRows`. */
export function compareFollowUps(a: LeadRow, b: LeadRow): number {
  const x = a.nextFollowUpAt ?? "~", y = b.nextFollowUpAt ?? "~";
  return x < y ? -1 : x > y ? 1 : compareRows(a, b);
}

/**
 * The running clock of a row nobody has contacted yet (status new): its level and its words,
 * "Waiting 7 min"; null once contacted. Colour is never the only signal: the words say it too.
 */
export function waitClock(
  row: LeadRow,
  now: number,
  clock: ClockThresholds,
): { level: "ok" | "amber" | "red"; text: string } | null {
  if (row.status !== "new" || row.firstContactAt) return null;
  const ms = Math.max(0, now - Date.parse(row.createdTime));
  const level = ms >= clock.redMs ? "red" : ms >= clock.amberMs ? "amber" : "ok";
  return { level, text: `Waiting ${waitText(ms)}` };
}

/**
 * What the waiting clock stopped at once the lead was contacted, "Contacted in 16 min", in the
 * clock's place (the row keeps its height); null while it still waits or when the time is unknown.
 */
export function contactedIn(row: LeadRow): string | null {
  if (!row.firstContactAt) return null;
  const ms = Date.parse(row.firstContactAt) - Date.parse(row.createdTime);
  if (!Number.isFinite(ms)) return null;
  return `Contacted in ${waitText(Math.max(0, ms))}`;
}

/** The owner as a row shows it: "You", their name, or "Unassigned". */
export function ownerLabel(row: LeadRow, me?: string | null): string {
  if (!row.ownerId) return "Unassigned";
  return row.ownerId === me ? "You" : row.ownerName!;
}

/** Newest created first; ties broken by id (ULIDs sort by time) so the order is stable. */
export function compareRows(a: LeadRow, b: LeadRow): number {
  if (a.createdTime !== b.createdTime) return a.createdTime < b.createdTime ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** The name to show: the person's, or a placeholder that says why there is none. */
export function displayName(row: LeadRow): string {
  if (row.fullName) return row.fullName;
  if (row.details === "pending") return "New lead (details loading)";
  return row.email ?? row.phone ?? "Unnamed lead";
}

/** The form's name, or its id while the name is unknown; hand-entered leads say how they came. */
export function formLabel(row: LeadRow): string {
  if (row.formName) return row.formName;
  if (row.formId) return `Form ${row.formId}`;
  return row.source === "meta" ? "Lead form" : `Entered by hand (${row.source})`;
}

/** "Spring test drive" or "Ad: X · Campaign: Y" when known. */
export function adLabel(row: LeadRow): string | null {
  const parts = [];
  if (row.adName) parts.push(`Ad: ${row.adName}`);
  if (row.campaignName) parts.push(`Campaign: ${row.campaignName}`);
  return parts.length ? parts.join(" · ") : null;
}

/** Status words for people: "new" -> "New". */
export function statusLabel(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}
