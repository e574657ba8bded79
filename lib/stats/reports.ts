// The Reports page's figures, from the hourly buckets (never the leads): leads per local day split
// by form, campaign or source, the time to first contact in ranges, and the funnel per campaign.

import { zonedDayStart, zonedParts, zonedWallTimeToMs } from "../time_zone.ts";
import { HOUR_MS, hourStart, type StatsBucket } from "./buckets.ts";
import { statsHourKey } from "./keys.ts";
import { median, percentile } from "./team_stats.ts";

/** How the leads per day are split. */
export type ReportSplit = "form" | "campaign" | "source";

/** Every split, the default first. */
export const REPORT_SPLITS: readonly ReportSplit[] = ["form", "campaign", "source"];

/** One series of the leads per day: a form, campaign or source. */
export interface DaySeries {
  key: string;
  label: string;
  /** Leads per day, one per entry of `days`. */
  counts: number[];
  total: number;
}

/** One range of the time to first contact. */
export interface ContactRange {
  label: string;
  count: number;
}

/** One campaign's funnel over the report's days. */
export interface CampaignFunnel {
  key: string;
  label: string;
  leads: number;
  contacted: number;
  qualified: number;
  won: number;
}

/** What the Reports page shows. */
export interface Report {
  /** The local days, oldest first, as `YYYY-MM-DD`. */
  days: string[];
  split: ReportSplit;
  /** The biggest series first, the smallest folded into "Other" past MAX_SERIES. */
  series: DaySeries[];
  /** Leads per day, all series. */
  totals: number[];
  /** Contacted leads by how long they waited, then those not contacted yet. */
  contact: ContactRange[];
  contacted: number;
  medianFirstContactMs: number | null;
  p90FirstContactMs: number | null;
  /** False when a bucket was full and some durations were only counted. */
  exact: boolean;
  funnel: CampaignFunnel[];
}

/** Days a report covers. */
export const REPORT_DAYS = 30;
/** Series drawn one by one; the rest share "Other". */
const MAX_SERIES = 6;

const MINUTE = 60_000;
const RANGES: { label: string; upTo: number }[] = [
  { label: "Under 1 min", upTo: MINUTE },
  { label: "1-5 min", upTo: 5 * MINUTE },
  { label: "5-15 min", upTo: 15 * MINUTE },
  { label: "15-60 min", upTo: 60 * MINUTE },
  { label: "1-4 h", upTo: 4 * 60 * MINUTE },
  { label: "4-24 h", upTo: 24 * 60 * MINUTE },
  { label: "Over a day", upTo: Infinity },
];

/** Names for the keys of a split: form and campaign ids to names (sources name themselves). */
export interface ReportNames {
  forms: Map<string, string>;
  campaigns: Map<string, string>;
}

/**
 * The report of the REPORT_DAYS local days in `timeZone` up to and including today (at `now`),
 * from one hourly bucket per hour that had leads. An hour counts in the day it starts in.
 */
export async function readReport(
  kv: Deno.Kv,
  options: { now: number; timeZone: string; split: ReportSplit; names: ReportNames },
): Promise<Report> {
  const { now, timeZone, split } = options;
  const today = zonedParts(now, timeZone);
  const starts: number[] = [];
  const days: string[] = [];
  for (let i = REPORT_DAYS - 1; i >= 0; i--) {
    // Date.UTC inside rolls a day before the 1st back into the month before.
    const start = zonedWallTimeToMs(
      { year: today.year, month: today.month, day: today.day - i, hour: 0, minute: 0 },
      timeZone,
    );
    starts.push(start);
    const p = zonedParts(start, timeZone);
    days.push(`${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`);
  }
  const bySeries = new Map<string, number[]>();
  const totals = new Array(REPORT_DAYS).fill(0);
  const durations: number[] = [];
  let leads = 0, contacted = 0, uncounted = 0;
  const funnel = new Map<string, [number, number, number, number]>();
  const list = kv.list<StatsBucket>({
    start: statsHourKey(hourStart(starts[0])),
    end: statsHourKey(hourStart(now) + HOUR_MS),
  });
  for await (const entry of list) {
    const hour = entry.key[1] as number;
    const day = dayIndex(starts, zonedDayStart(hour, timeZone));
    if (day === -1) continue;
    const bucket = entry.value;
    const counts = split === "form"
      ? bucket.forms
      : split === "campaign"
      ? bucket.campaigns
      : bucket.sources;
    for (const [key, count] of Object.entries(counts ?? {})) {
      const series = bySeries.get(key) ?? new Array(REPORT_DAYS).fill(0);
      series[day] += count;
      bySeries.set(key, series);
    }
    for (const owner of Object.values(bucket.owners)) {
      totals[day] += owner.leads;
      leads += owner.leads;
      contacted += owner.contacted;
      uncounted += owner.uncounted;
      for (const ms of owner.durations) durations.push(ms);
    }
    for (const [campaign, counts] of Object.entries(bucket.funnel ?? {})) {
      const sum = funnel.get(campaign) ?? [0, 0, 0, 0];
      counts.forEach((n, i) => sum[i] += n);
      funnel.set(campaign, sum);
    }
  }
  durations.sort((a, b) => a - b);
  const contact = RANGES.map((range, i) => ({
    label: range.label,
    count: durations.filter((ms) => ms >= (RANGES[i - 1]?.upTo ?? 0) && ms < range.upTo).length,
  }));
  contact.push({ label: "Not contacted yet", count: Math.max(0, leads - contacted) });
  return {
    days,
    split,
    series: foldSeries(bySeries, (key) => labelOf(split, key, options.names)),
    totals,
    contact,
    contacted,
    medianFirstContactMs: median(durations),
    p90FirstContactMs: percentile(durations, 90),
    exact: uncounted === 0,
    funnel: [...funnel.entries()]
      .map(([key, [n, c, q, w]]) => ({
        key,
        label: labelOf("campaign", key, options.names),
        leads: n,
        contacted: c,
        qualified: q,
        won: w,
      }))
      .sort((a, b) => b.leads - a.leads),
  };
}

function dayIndex(starts: number[], dayStart: number): number {
  return starts.indexOf(dayStart);
}

/** The biggest MAX_SERIES series as they are, the others summed into "Other". */
function foldSeries(bySeries: Map<string, number[]>, label: (key: string) => string): DaySeries[] {
  const all = [...bySeries.entries()]
    .map(([key, counts]) => ({ key, label: label(key), counts, total: sum(counts) }))
    .sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
  if (all.length <= MAX_SERIES) return all;
  const kept = all.slice(0, MAX_SERIES - 1);
  const rest = all.slice(MAX_SERIES - 1);
  const counts = rest[0].counts.map((_, day) => sum(rest.map((series) => series.counts[day])));
  return [...kept, { key: "~other", label: `Other (${rest.length})`, counts, total: sum(counts) }];
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

const SOURCE_LABELS: Record<string, string> = {
  meta: "Meta lead ads",
  phone: "Phone",
  sms: "SMS",
  "walk-in": "Walk-in",
  other: "Other",
};

function labelOf(split: ReportSplit, key: string, names: ReportNames): string {
  if (split === "source") return SOURCE_LABELS[key] ?? key;
  if (split === "form") {
    return key === "" ? "No form (by hand)" : names.forms.get(key) ?? `Form ${key}`;
  }
  return key === "" ? "No campaign" : names.campaigns.get(key) ?? `Campaign ${key}`;
}
