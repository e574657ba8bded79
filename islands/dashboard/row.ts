// The slice of a lead one dashboard row shows, and the helpers that format it (browser and server).

/** What the list needs of a lead; built from the API's Lead JSON. */
export interface LeadRow {
  id: string;
  fullName: string | null;
  email: string | null;
  phone: string | null;
  formName: string | null;
  formId: string | null;
  adName: string | null;
  campaignName: string | null;
  source: string;
  createdTime: string;
  status: string;
  details: "pending" | "fetched" | "failed";
  detailsError: string | null;
  ownerId: string | null;
  ownerName: string | null;
  firstContactAt: string | null;
  callAttempts: number;
  nextFollowUpAt: string | null;
  possibleDuplicateOf: string | null;
}

/** The row of an API lead; unknown extra fields are dropped so island props stay small. */
export function toLeadRow(lead: LeadRow): LeadRow {
  return {
    id: lead.id,
    fullName: lead.fullName ?? null,
    email: lead.email ?? null,
    phone: lead.phone ?? null,
    formName: lead.formName ?? null,
    formId: lead.formId ?? null,
    adName: lead.adName ?? null,
    campaignName: lead.campaignName ?? null,
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
  };
}

/** Due view order: the oldest follow-up first, then as `compareRows`. */
export function compareFollowUps(a: LeadRow, b: LeadRow): number {
  const x = a.nextFollowUpAt ?? "~", y = b.nextFollowUpAt ?? "~";
  return x < y ? -1 : x > y ? 1 : compareRows(a, b);
}

/** The speed-to-lead clock's thresholds, in ms since the form was submitted. */
export interface ClockThresholds {
  amberMs: number;
  redMs: number;
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

/** "45 s", "7 min", "2 h 5 min". */
export function waitText(ms: number): string {
  const s = Math.floor(ms / 1000), m = Math.floor(s / 60);
  return s < 60 ? `${s} s` : m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
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

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function relativeTime(iso: string, now: number): string {
  const ms = Date.parse(iso);
  const seconds = Math.round((now - ms) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 14) return `${days} d ago`;
  return iso.slice(0, 10);
}

/** The exact time for a tooltip: local time in the browser, UTC on the server (no locale there). */
export function exactTime(iso: string, local: boolean): string {
  const date = new Date(iso);
  if (local) return date.toLocaleString();
  return iso.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

/** Status words for people: "new" -> "New". */
export function statusLabel(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const EMAIL_DOMAIN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/**
 * A `mailto:` link for `email` when it is one plain address (`local@domain.tld`), else null: show
 * the text without a link then. The address comes from a form anyone can fill in, so
 * `a@b?cc=evil@x` must never become a link that adds recipients or headers; characters a mail URL
 * reads as syntax (`?`, `#`, `&`, `=`, `%`, `/`) are escaped in the local part.
 */
export function mailtoHref(email: string | null | undefined): string | null {
  if (!email || email.length > 254) return null;
  const at = email.lastIndexOf("@");
  if (at <= 0) return null;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !EMAIL_LOCAL.test(local) || !EMAIL_DOMAIN.test(domain)) return null;
  const escaped = local.replace(
    /[^A-Za-z0-9.!$'*+_~-]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return `mailto:${escaped}@${domain}`;
}

/**
 * A `tel:` link for `phone` when it is a phone number (digits with spaces, dots, dashes, slashes or
 * brackets, an optional leading +, 3 to 15 digits as E.164 allows), else null: show the text alone.
 */
export function telHref(phone: string | null | undefined): string | null {
  if (!phone || phone.length > 40) return null;
  const trimmed = phone.trim();
  if (!/^\+?[\d\s().\/-]+$/.test(trimmed)) return null;
  const digits = trimmed.replace(/\D/g, "");
  if (digits.length < 3 || digits.length > 15) return null;
  return `tel:${trimmed.startsWith("+") ? "+" : ""}${digits}`;
}
