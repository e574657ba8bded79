// The shapes reconciliation stores in KV and returns: sync results, progress, forms, pages.

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

/** A pass over one form's leads that has not reached the end yet; kept so a pause can resume it. */
export interface FormPass {
  /** Unix seconds: leads created after this are listed. */
  since: number;
  /** Meta's cursor after the last page stored, or null to start from the newest lead. */
  after: string | null;
  /** Unix seconds: when the sweep that began the pass started; becomes the watermark at the end. */
  startedAt: number;
}

/** A lead form found on a page, with where its reconciliation stands. */
export interface ReconcileForm {
  formId: string;
  pageId: string;
  name: string | null;
  /** Meta's status, e.g. "ACTIVE" or "ARCHIVED". */
  status: string | null;
  /** ISO 8601. */
  discoveredAt: string;
  /** Unix seconds: the start of the last sweep that listed this form to the end; null before. */
  watermark: number | null;
  /** The form's status when it was last listed to the end (inactive forms are swept once more). */
  sweptStatus: string | null;
  pass: FormPass | null;
}

/** A page reconciliation knows of, from a lead or from settings. */
export interface KnownPage {
  pageId: string;
  /** ISO 8601. */
  addedAt: string;
}

/** A page whose token or permissions Meta refused; shown in the dashboard's alert area. */
export interface PageAccessProblem {
  pageId: string;
  kind: "token" | "permission";
  message: string;
  /** ISO 8601. */
  at: string;
}

/** What reconciliation remembers between sweeps, at `["reconcile_state"]`. */
export interface ReconcileState {
  /** The last sweep that ran (never a skipped one), or null before the first. */
  lastResult: SyncResult | null;
  /** ISO 8601: a paused sweep resumes at or after this time; null when not paused. */
  resumeAt: string | null;
  /** Pages Meta refused during the last sweep. */
  pageProblems: PageAccessProblem[];
}

/** Where reconciliation stands, for the dashboard and the Sync button. */
export interface ReconcileStatus extends ReconcileState {
  progress: SweepProgress | null;
}
