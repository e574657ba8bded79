// The shapes reconciliation keeps in KV: form passes, forms, pages and its state. What it answers
// (sync results, progress, status) is in lib/wire.ts.

import type { ReconcileStatus } from "../wire.ts";

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

/** What reconciliation remembers between sweeps, at `["reconcile_state"]`: its status without progress. */
export type ReconcileState = Omit<ReconcileStatus, "progress">;
