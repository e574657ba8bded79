// The shapes that travel between the server and the browser (API answers, event stream data,
// island props), and the few numbers both sides must agree on: one definition both sides import.
// It imports nothing and holds no code.

/** Leads on the dashboard's first screen and per "Load more"; `GET /api/leads`'s default limit. */
export const LEAD_PAGE_SIZE = 50;

/** Changes per `GET /api/leads?since=` answer: a client that gets this many asks again. */
export const CHANGES_PAGE_SIZE = 500;

// ---- leads ------------------------------------------------------------------------------------

/** What a dashboard row shows of a lead; the API's lead JSON carries these fields and more. */
export interface LeadRow {
  id: string;
  fullName: string | null;
  email: string | null;
  phone: string | null;
  formName: string | null;
  formId: string | null;
  adName: string | null;
  campaignName: string | null;
  campaignId?: string | null;
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
  /**
   * The form's chosen answers (question, answer), at most three: the table's answer column. Absent
   * from rows built without the form's choice.
   */
  highlights?: [string, string][];
}

/** The order of a filtered list: oldest first, newest first (the default), or waiting longest first. */
export type LeadSort = "created" | "-created" | "waiting";

/**
 * A lead filter as the URL says it (`GET /api/leads`, the dashboard, the export): every value a
 * string as typed, `owner` may say `me`. Saved views keep this.
 */
export interface LeadQuery {
  q: string;
  status: string[];
  /** `me`, `none` or a user id. */
  owner: string[];
  formId: string[];
  campaignId: string[];
  source: string[];
  /** `YYYY-MM-DD` (a local day) or an ISO 8601 time; "" for none. */
  from: string;
  to: string;
  sort: LeadSort;
}

/**
 * A lead filter ready to apply: `me` resolved to the user's id, days to instants. Every list is
 * "any of" (empty: no condition); the lists together are "all of".
 */
export interface LeadFilter {
  /** The typed search; its words must all match (see lib/format/lead_search.ts). */
  q: string;
  statuses: string[];
  /** User ids, and `none` for the leads nobody owns. */
  owners: string[];
  formIds: string[];
  campaignIds: string[];
  sources: string[];
  /** Created at or after (ms), or null. */
  fromMs: number | null;
  /** Created before (ms, exclusive), or null. */
  toMs: number | null;
  sort: LeadSort;
}

/** A saved view: a name and the filter it opens (`GET /api/views`). Built-in ones have no owner. */
export interface SavedView {
  id: string;
  name: string;
  /** The dashboard URL's query string, without `?` (e.g. `status=won&from=2026-05-01`). */
  query: string;
  /** True for the views every user has, which cannot be changed. */
  builtIn: boolean;
}

/** What `POST /api/leads/bulk` did to each lead. */
export interface BulkAnswer {
  updated: number;
  /** Leads that were already as asked. */
  unchanged: number;
  failed: { id: string; error: string }[];
  /** One sentence for people: "7 updated, 1 failed: Ana owns it already". */
  summary: string;
}

/** A team member leads can be assigned to (the bulk bar's list). */
export interface TeamMember {
  id: string;
  name: string;
}

/** One change of `GET /api/leads?since=` (and of the event stream's `lead` events, by seq). */
export interface LeadChange {
  seq: number;
  kind: string;
  lead: LeadRow;
}

/** `GET /api/leads?since=<cursor>`: the polling fallback's answer. */
export interface LeadChangesAnswer {
  changes: LeadChange[];
  /** Leads erased or purged in the same range (the event stream's `lead_removed` events). */
  removed?: { seq: number; id: string }[];
  /** Where to ask from next. */
  cursor: string;
  /** The change log no longer reaches back to `since` (or `since` is from another store). */
  reset?: boolean;
  /** The dashboard's alert area as it stands. */
  alerts?: Alert[];
}

/** The event stream's `ready` event: the cursor it starts after, and the alerts as they stand. */
export interface StreamReady {
  cursor: string;
  alerts: Alert[];
}

/** The speed-to-lead clock's thresholds, in ms since the form was submitted. */
export interface ClockThresholds {
  amberMs: number;
  redMs: number;
}

// ---- alerts -----------------------------------------------------------------------------------

/**
 * What went wrong, in a word the dashboard can pick an icon and a fix for. Fetch jobs and sweeps
 * raise `token_expired` and `permission_denied`; the Meta health checks (lib/meta_health) raise
 * `token_expired` too, and own the page and app kinds. `lead_truncated`: a lead was too large to
 * store whole and its answers were shortened (one alert per lead, expiring on its own).
 */
export type AlertKind =
  | "token_expired"
  | "permission_denied"
  | "token_expiring"
  | "scope_missing"
  | "page_unsubscribed"
  | "page_unreachable"
  | "webhook_unreachable"
  | "webhooks_lost"
  | "app_credentials"
  | "lead_truncated";

/** One dashboard-wide alert, as stored (see lib/alerts.ts) and shown in the alert area. */
export interface Alert {
  kind: AlertKind;
  /** The Facebook page it concerns, or null when it concerns the whole app. */
  pageId: string | null;
  /** The lead it concerns (our id), for alerts about one lead. */
  leadId?: string | null;
  /** Readable, safe to show (never holds a token). */
  message: string;
  /** The banner's heading for its kind ("Token expired"), added when alerts are listed. */
  title?: string;
  /** ISO 8601: when it was first raised (kept when the same alert is raised again). */
  since: string;
  /** ISO 8601: when it was last raised. */
  updatedAt: string;
}

// ---- reconciliation (Sync) --------------------------------------------------------------------

/** What one sync request returns (`POST /api/leads/sync`). Times are ISO 8601. */
export interface SyncResult {
  /** Forms whose leads were listed to the end. */
  forms: number;
  /** Leads Meta listed. */
  scanned: number;
  /** Leads that were new to us and were stored. */
  inserted: number;
  startedAt: string;
  finishedAt: string;
  /** True when this request did not sweep and returns the last sweep's result instead. */
  skipped: boolean;
  /** Why the sweep stopped early or what it could not reach; absent when all went well. */
  error?: string;
  /**
   * Only on a skipped answer: why no sweep ran now. `recent`: the last one finished within the
   * minimum interval; `paused`: Meta's rate limit paused syncing; `running`: another process
   * sweeps at this moment.
   */
  skipReason?: "recent" | "paused" | "running";
  /** Only on a skipped answer: when the last sweep finished (ISO 8601), or null before the first. */
  lastFinishedAt?: string | null;
  /**
   * Only on a skipped answer: the earliest time a request may sweep again (ISO 8601), or null when
   * it depends on a sweep still running elsewhere.
   */
  nextAllowedAt?: string | null;
  /** Only on a skipped answer: the server's time when it answered, to count the above from. */
  checkedAt?: string;
}

/** How far the running (or last) sweep got, for the dashboard's progress bar. */
export interface SweepProgress {
  running: boolean;
  /** True when some form is swept for the first time (the backfill of the last N days). */
  backfill: boolean;
  formsDone: number;
  formsTotal: number;
  leadsFound: number;
  inserted: number;
  startedAt: string;
  updatedAt: string;
}

/** A page whose token or permissions Meta refused; shown in the dashboard's alert area. */
export interface PageAccessProblem {
  pageId: string;
  kind: "token" | "permission";
  message: string;
  /** ISO 8601. */
  at: string;
}

/** Where reconciliation stands (`GET /api/leads/sync`): the dashboard's Sync line. */
export interface ReconcileStatus {
  /** The last sweep that ran (never a skipped one), or null before the first. */
  lastResult: SyncResult | null;
  /** ISO 8601: a paused sweep resumes at or after this time; null when not paused. */
  resumeAt: string | null;
  /** Pages Meta refused during the last sweep. */
  pageProblems: PageAccessProblem[];
  progress: SweepProgress | null;
}

// ---- team statistics --------------------------------------------------------------------------

/** The figures of one owner (or of the unassigned leads: `ownerId` null). */
export interface OwnerStats {
  ownerId: string | null;
  name: string;
  leads: number;
  contacted: number;
  medianFirstContactMs: number | null;
  p90FirstContactMs: number | null;
  /** Leads contacted within 5 minutes over all leads; null without leads. */
  within5MinShare: number | null;
}

/** The team's figures for a range: `GET /api/stats`. */
export interface TeamStats {
  /** ISO 8601: the range actually counted, whole UTC hours (leads created within it). */
  from: string;
  to: string;
  leads: number;
  contacted: number;
  medianFirstContactMs: number | null;
  p90FirstContactMs: number | null;
  within5MinShare: number | null;
  /** False when some bucket was full and kept counts without durations (medians then skip those). */
  exact: boolean;
  byOwner: OwnerStats[];
}

/** Leads waiting now: status new, not contacted. */
export interface WaitingNow {
  count: number;
  /** ISO 8601 created time of the lead waiting longest, or null when none waits. */
  oldestCreatedTime: string | null;
  /** Its id. */
  oldestLeadId: string | null;
}

/** `GET /api/stats`: the figures of a range, with the leads waiting now. */
export type TeamStatsAnswer = TeamStats & { waiting: WaitingNow };

// ---- notifications (Web Push) -----------------------------------------------------------------

/** The notifications page's `PushSettings` island: the key push subscriptions are made with. */
export interface PushSettingsProps {
  /** The VAPID public key (base64url): the browser's `applicationServerKey`. */
  publicKey: string;
}

/** `GET /api/push/key`. */
export interface PushKeyAnswer {
  publicKey: string;
}

/**
 * A device with notifications on, as its owner sees it (`GET /api/push/subscriptions`, and
 * `POST`'s answer as `device`): the push service's host, never the endpoint (a capability).
 */
export interface PushDevice {
  id: string;
  /** A short description from its User-Agent, e.g. "Chrome on Android"; null when unknown. */
  device: string | null;
  /** The push service's host, e.g. fcm.googleapis.com. */
  pushService: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601 of the last message the push service took, or null. */
  lastSuccessAt: string | null;
}

/** `POST /api/push/test`: how the test message to each of the user's devices went. */
export interface PushTestAnswer {
  /** Devices whose push service took it. */
  sent: number;
  /** Devices the push service called gone (404/410), now removed. */
  removed: number;
  /** Devices it could not reach now (rate limited, down, refused). */
  failed: number;
}
