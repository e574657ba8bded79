// How far behind the job runners are: jobs due now and not claimed, and how long the oldest waited.

import { JOBS_DUE_PREFIX, jobsDueEndKey } from "./keys.ts";

/** The jobs due now that no run has claimed. */
export interface JobBacklog {
  /** Jobs due now (at most `limit`; see `capped`). */
  due: number;
  /** True when there were more than `limit`: `due` is then a lower bound. */
  capped: boolean;
  /** When the oldest of them came due (ms since the epoch); null when none is due. */
  oldestDueAt: number | null;
}

/**
 * Reads the due entries up to now (a claimed job's entry sits at its lease expiry, so a running
 * job is not due unless its lease ran out; a job waiting to retry is not due before its time).
 * Reads at most `limit` entries (default 1,000), oldest first.
 */
export async function readJobBacklog(
  kv: Deno.Kv,
  options: { now?: number; limit?: number } = {},
): Promise<JobBacklog> {
  const now = Math.floor(options.now ?? Date.now());
  const limit = Math.max(1, options.limit ?? 1000);
  let due = 0;
  let oldestDueAt: number | null = null;
  const entries = kv.list<string>(
    { prefix: JOBS_DUE_PREFIX, end: jobsDueEndKey(now) },
    { limit: limit + 1 },
  );
  for await (const entry of entries) {
    if (oldestDueAt === null && typeof entry.key[1] === "number") oldestDueAt = entry.key[1];
    due++;
  }
  return { due: Math.min(due, limit), capped: due > limit, oldestDueAt };
}
