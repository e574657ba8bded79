// The Deno.cron trigger of reconciliation: a sweep every N minutes, whatever the dashboards do.

import type { Reconciler } from "./reconciler.ts";
import type { SyncResult } from "../wire.ts";

/** The cron job's name: unique per process; Deno.cron allows only letters, digits, spaces, - and _. */
export const RECONCILE_CRON_NAME = "leadline reconcile with Meta";

/** A cron schedule running every `minutes` minutes (1 to 59), e.g. 15 -> "*\/15 * * * *". */
export function reconcileSchedule(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 59) {
    throw new RangeError(`Cannot schedule reconciliation every ${minutes} minutes: use 1 to 59`);
  }
  return minutes === 1 ? "* * * * *" : `*/${minutes} * * * *`;
}

/** What the cron runs: one sync request marked "cron". Tests call it directly. */
export function reconcileCronHandler(reconciler: Reconciler): () => Promise<SyncResult> {
  return async function runReconcileCron() {
    return await reconciler.requestSync({ trigger: "cron" });
  };
}
