// Hourly statistics buckets: what one lead adds to its bucket, and adding or taking that away.
//
// A lead counts in the bucket of the UTC hour it was created, under its current owner: one lead,
// and when it has been contacted, its time to first contact. Durations are kept exactly (a list
// of milliseconds) so medians and percentiles are exact; one bucket keeps at most
// BUCKET_DURATIONS_MAX of them (a KV value holds 64 KiB), and past that it only counts them.

/** One owner's share of an hour: leads, how many were contacted, and how fast. */
export interface OwnerBucket {
  /** Leads created in the hour that this owner holds now. */
  leads: number;
  /** Those of them that have been contacted. */
  contacted: number;
  /** Those contacted within FIVE_MINUTES_MS of being created. */
  within5: number;
  /** Time to first contact of each contacted lead, ms, in no particular order. */
  durations: number[];
  /** Contacted leads whose duration is not in `durations` (the bucket was full). */
  uncounted: number;
}

/** One UTC hour of statistics: owner id ("" for unassigned leads) -> their share. */
export interface StatsBucket {
  owners: Record<string, OwnerBucket>;
  /** Leads by form id ("" for none); absent in buckets written before the reports existed. */
  forms?: Record<string, number>;
  /** Leads by campaign id ("" for none). */
  campaigns?: Record<string, number>;
  /** Leads by source (meta, phone, sms, walk-in, other). */
  sources?: Record<string, number>;
  /**
   * The funnel per campaign id ("" for none): leads, and how many of them reached contacted,
   * qualified and won.
   */
  funnel?: Record<string, FunnelCounts>;
}

/** Leads, and how many reached contacted, qualified and won (a later stage counts the earlier). */
export type FunnelCounts = [number, number, number, number];

/** Where a lead got in the funnel: 0 new, 1 contacted, 2 qualified, 3 won. */
export type FunnelStage = 0 | 1 | 2 | 3;

/** What a lead adds to the reports' counts (see StatsBucket). */
export interface LeadDimensions {
  form: string;
  campaign: string;
  source: string;
  stage: FunnelStage;
}

/** What one lead adds to the statistics. */
export interface LeadContribution {
  /** The start of the UTC hour the lead was created in (ms). */
  hourMs: number;
  /** Owner id, "" when nobody owns it. */
  owner: string;
  /** Time to first contact in ms, or null while not contacted. */
  firstContactMs: number | null;
  /** The reports' counts; absent for a lead counted before the reports existed. */
  dims?: LeadDimensions;
}

/** Five minutes: the response time the team aims for. */
export const FIVE_MINUTES_MS = 5 * 60 * 1000;
/** The most durations one hourly bucket keeps (about 5 bytes each in KV). */
export const BUCKET_DURATIONS_MAX = 6_000;
/** One hour in ms. */
export const HOUR_MS = 60 * 60 * 1000;

/** The start of the UTC hour holding `ms`. */
export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** An empty bucket. */
export function emptyBucket(): StatsBucket {
  return { owners: {} };
}

/**
 * Adds (`sign` 1) or takes away (`sign` -1) one lead's contribution to `bucket`, in place. Taking
 * away a duration removes one equal value from the list (or one uncounted one).
 */
export function applyContribution(
  bucket: StatsBucket,
  contribution: LeadContribution,
  sign: 1 | -1,
): void {
  const owner = bucket.owners[contribution.owner] ??= {
    leads: 0,
    contacted: 0,
    within5: 0,
    durations: [],
    uncounted: 0,
  };
  owner.leads = Math.max(0, owner.leads + sign);
  const ms = contribution.firstContactMs;
  if (ms !== null) {
    owner.contacted = Math.max(0, owner.contacted + sign);
    if (ms <= FIVE_MINUTES_MS) owner.within5 = Math.max(0, owner.within5 + sign);
    if (sign === 1) {
      if (countDurations(bucket) < BUCKET_DURATIONS_MAX) owner.durations.push(ms);
      else owner.uncounted++;
    } else {
      const at = owner.durations.indexOf(ms);
      if (at >= 0) owner.durations.splice(at, 1);
      else owner.uncounted = Math.max(0, owner.uncounted - 1);
    }
  }
  if (owner.leads === 0 && owner.contacted === 0) delete bucket.owners[contribution.owner];
  const dims = contribution.dims;
  if (dims) {
    count(bucket.forms ??= {}, dims.form, sign);
    count(bucket.campaigns ??= {}, dims.campaign, sign);
    count(bucket.sources ??= {}, dims.source, sign);
    const funnel = (bucket.funnel ??= {})[dims.campaign] ??= [0, 0, 0, 0];
    for (let stage = 0; stage <= dims.stage; stage++) {
      funnel[stage] = Math.max(0, funnel[stage] + sign);
    }
    if (funnel[0] === 0) delete bucket.funnel[dims.campaign];
  }
}

function count(counts: Record<string, number>, key: string, sign: 1 | -1) {
  const next = Math.max(0, (counts[key] ?? 0) + sign);
  if (next === 0) delete counts[key];
  else counts[key] = next;
}

/** True when both contributions are the same (nothing to write). */
export function sameContribution(a: LeadContribution | null, b: LeadContribution | null): boolean {
  if (a === null || b === null) return a === b;
  return a.hourMs === b.hourMs && a.owner === b.owner && a.firstContactMs === b.firstContactMs &&
    a.dims?.form === b.dims?.form && a.dims?.campaign === b.dims?.campaign &&
    a.dims?.source === b.dims?.source && a.dims?.stage === b.dims?.stage;
}

function countDurations(bucket: StatsBucket): number {
  let total = 0;
  for (const owner of Object.values(bucket.owners)) total += owner.durations.length;
  return total;
}
