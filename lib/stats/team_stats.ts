// The team's speed to lead over a time range, read from the hourly buckets (never from the leads).

import { DomainError } from "../errors.ts";
import type { OwnerStats, TeamStats, WaitingNow } from "../wire.ts";
import { LEADS_WAITING_PREFIX } from "../leads/keys.ts";
import { HOUR_MS, hourStart, type OwnerBucket, type StatsBucket } from "./buckets.ts";
import { statsHourKey, waitingCountKey } from "./keys.ts";

/** The longest range one request may ask for: 93 days of hourly buckets. */
export const STATS_RANGE_MAX_MS = 93 * 24 * HOUR_MS;

/** The range was not one the statistics can answer; the message says why. */
export class StatsRangeError extends DomainError {
  /** Make the error. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/**
 * The middle value of ascending `sorted` (the mean of the two middle ones for an even count), or
 * null when empty.
 */
export function median(sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
}

/** The `p`-th percentile of ascending `sorted` by nearest rank (p90: the ⌈0.9·n⌉-th value). */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * The statistics of the leads created in [from, to): the range widens to whole UTC hours (the
 * buckets' grain). Reads one bucket per hour that had leads, never the leads. `names` maps owner
 * ids to names (read at request time, so a renamed user shows their new name).
 */
export async function readTeamStats(
  kv: Deno.Kv,
  range: { from: number; to: number },
  names: Map<string, string> = new Map(),
): Promise<TeamStats> {
  if (!Number.isFinite(range.from) || !Number.isFinite(range.to) || range.to <= range.from) {
    throw new StatsRangeError("Cannot read statistics: from must be before to");
  }
  if (range.to - range.from > STATS_RANGE_MAX_MS) {
    throw new StatsRangeError("Cannot read statistics: the range may span at most 93 days");
  }
  const from = hourStart(range.from);
  const to = hourStart(range.to - 1) + HOUR_MS;
  const owners = new Map<string, { bucket: OwnerBucket }>();
  for await (
    const entry of kv.list<StatsBucket>({ start: statsHourKey(from), end: statsHourKey(to) })
  ) {
    for (const [owner, part] of Object.entries(entry.value.owners)) {
      const sum = owners.get(owner)?.bucket ??
        { leads: 0, contacted: 0, within5: 0, durations: [], uncounted: 0 };
      sum.leads += part.leads;
      sum.contacted += part.contacted;
      sum.within5 += part.within5;
      sum.uncounted += part.uncounted;
      for (const ms of part.durations) sum.durations.push(ms);
      owners.set(owner, { bucket: sum });
    }
  }
  const all: number[] = [];
  let leads = 0, contacted = 0, within5 = 0, uncounted = 0;
  const byOwner: OwnerStats[] = [];
  for (const [owner, { bucket }] of owners) {
    bucket.durations.sort((a, b) => a - b);
    leads += bucket.leads;
    contacted += bucket.contacted;
    within5 += bucket.within5;
    uncounted += bucket.uncounted;
    for (const ms of bucket.durations) all.push(ms);
    byOwner.push({
      ownerId: owner === "" ? null : owner,
      name: owner === "" ? "Unassigned" : names.get(owner) ?? "Former team member",
      leads: bucket.leads,
      contacted: bucket.contacted,
      medianFirstContactMs: median(bucket.durations),
      p90FirstContactMs: percentile(bucket.durations, 90),
      within5MinShare: bucket.leads ? bucket.within5 / bucket.leads : null,
    });
  }
  all.sort((a, b) => a - b);
  byOwner.sort((a, b) =>
    (a.ownerId === null ? 1 : 0) - (b.ownerId === null ? 1 : 0) || a.name.localeCompare(b.name)
  );
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    leads,
    contacted,
    medianFirstContactMs: median(all),
    p90FirstContactMs: percentile(all, 90),
    within5MinShare: leads ? within5 / leads : null,
    exact: uncounted === 0,
    byOwner,
  };
}

/** How many leads wait now (new, not contacted) and since when the oldest waits. */
export async function readWaitingNow(kv: Deno.Kv): Promise<WaitingNow> {
  const count = (await kv.get<number>(waitingCountKey())).value ?? 0;
  for await (const entry of kv.list<string>({ prefix: LEADS_WAITING_PREFIX }, { limit: 1 })) {
    return {
      count: Math.max(count, 1),
      oldestCreatedTime: new Date(entry.key[1] as number).toISOString(),
      oldestLeadId: entry.value,
    };
  }
  return { count: 0, oldestCreatedTime: null, oldestLeadId: null };
}
