// Every Deno KV key the job queue uses, each built by one named function.

/** `["jobs", id]` -> JobRecord of a job that is waiting or running. */
export function jobKey(id: string): Deno.KvKey {
  return ["jobs", id];
}

/** The prefix of every `jobKey`. */
export const JOBS_PREFIX: Deno.KvKey = ["jobs"];

/** `["jobs_due", dueAt, id]` -> id; a running job sits here at its lease expiry. */
export function jobDueKey(dueAt: number, id: string): Deno.KvKey {
  return ["jobs_due", dueAt, id];
}

/** The prefix of every `jobDueKey`. */
export const JOBS_DUE_PREFIX: Deno.KvKey = ["jobs_due"];

/** The end (exclusive) of a listing of the jobs due at or before `time`. */
export function jobsDueEndKey(time: number): Deno.KvKey {
  return ["jobs_due", time + 1];
}

/**
 * The id of the job of `type` and `key`: jobs are stored under it, so `["jobs", id]` and
 * `["jobs_failed", id]` are also its idempotency keys (no index to write and delete).
 */
export function jobIdFor(type: string, key: string): string {
  return `${type}:${key}`;
}

/**
 * `["jobs_by_key", type, key]` -> id: the idempotency index of jobs stored before ids were made
 * from the type and key (their ids are ULIDs). New jobs do not write it; it is still read and
 * checked so that such a job is found and never doubled.
 */
export function jobByKeyKey(type: string, key: string): Deno.KvKey {
  return ["jobs_by_key", type, key];
}

/** `["jobs_failed", id]` -> FailedJobRecord after the last attempt or a permanent error. */
export function failedJobKey(id: string): Deno.KvKey {
  return ["jobs_failed", id];
}

/** The prefix of every `failedJobKey`. */
export const JOBS_FAILED_PREFIX: Deno.KvKey = ["jobs_failed"];
