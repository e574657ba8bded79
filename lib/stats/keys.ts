// Every Deno KV key of the team statistics, each built by one named function.

/**
 * `["lead_stats_hourly", hourMs]` -> StatsBucket: the leads created in that UTC hour, per owner,
 * with their first-contact durations. Written only in lead store commits (see lib/leads/indexes.ts).
 */
export function statsHourKey(hourMs: number): Deno.KvKey {
  return ["lead_stats_hourly", hourMs];
}

/** The prefix of every `statsHourKey`. */
export const STATS_HOURLY_PREFIX: Deno.KvKey = ["lead_stats_hourly"];

/** `["lead_stats_waiting"]` -> number: leads in status new that nobody has contacted yet. */
export function waitingCountKey(): Deno.KvKey {
  return ["lead_stats_waiting"];
}
