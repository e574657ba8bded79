// Asks for a reconciliation with Meta: the route's entry into lib/reconcile.

import type { AppServices } from "../services.ts";

/** What `POST /api/leads/sync` answers; times are ISO 8601. */
export interface SyncSummary {
  /** Forms whose leads were listed to the end. */
  forms: number;
  /** Leads Meta listed. */
  scanned: number;
  /** Leads new to us that were stored. */
  inserted: number;
  startedAt: string;
  finishedAt: string;
  /** True when no sweep ran (rate-limited, or nothing to sync). */
  skipped: boolean;
  /** A sentence the dashboard can show. */
  message?: string;
  /** Why the sweep stopped early; absent when all went well. */
  error?: string;
}

/**
 * Requests a sync with Meta through the app's reconciler: one sweep at a time across processes,
 * and a request within the minimum interval (or during a pause) gets the last result with
 * `skipped: true` instead of calling Meta again.
 */
export async function requestSync(services: AppServices): Promise<SyncSummary> {
  return await services.reconciler.requestSync({ trigger: "manual" });
}
