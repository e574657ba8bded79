// Asks for a reconciliation with Meta; a stand-in that reports "nothing to sync" until reconcile lands.

import { isDemo } from "../../fresh.config.ts";
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
 * Requests a sync with Meta and returns its summary. The reconcile issue replaces this body with
 * the real sweep (one lock, a minimum interval); the route and the dashboard stay as they are.
 */
export function requestSync(services: AppServices): Promise<SyncSummary> {
  const at = new Date().toISOString();
  return Promise.resolve({
    forms: 0,
    scanned: 0,
    inserted: 0,
    startedAt: at,
    finishedAt: at,
    skipped: true,
    message: isDemo(services.config)
      ? "Nothing to sync in demo mode: test leads arrive through the webhook."
      : "Reconciliation with Meta is not available yet.",
  });
}
