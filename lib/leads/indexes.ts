// What the lead store writes beside each lead in the same commit: the indexes the dashboard views,
// routing and statistics read, so none of them scans every lead.

import {
  applyContribution,
  emptyBucket,
  hourStart,
  type LeadContribution,
  sameContribution,
  type StatsBucket,
} from "../stats/buckets.ts";
import { statsHourKey, waitingCountKey } from "../stats/keys.ts";
import {
  leadByAssignedKey,
  leadByFollowUpKey,
  leadByOwnerKey,
  leadUnownedWaitingKey,
  leadWaitingKey,
} from "./keys.ts";
import type { Lead } from "./model.ts";
import { speedToLeadMs } from "./speed_to_lead.ts";

/**
 * The version of what this module derives. A lead record carries the version it is counted in
 * (`indexed`); one stored before (no `indexed`) has no index entries and is in no statistics, so
 * its next write adds it rather than moving it.
 */
export const INDEX_VERSION = 1;

/** One lead written by a commit: as it was (null for a new lead) and as it will be stored. */
export interface LeadWrite {
  before: Lead | null;
  after: Lead;
}

/** True for a lead in status new that nobody has contacted yet: its clock is running. */
export function isWaiting(
  lead: Pick<Lead, "status" | "firstContactAt" | "timeline" | "createdTime" | "source">,
): boolean {
  return lead.status === "new" && speedToLeadMs(lead) === null;
}

/** What `lead` adds to the hourly statistics. */
export function contributionOf(lead: Lead): LeadContribution {
  return {
    hourMs: hourStart(Date.parse(lead.createdTime)),
    owner: lead.ownerId ?? "",
    firstContactMs: speedToLeadMs(lead),
  };
}

/**
 * Adds to `op` every derived write that takes the leads of `writes` from `before` to `after`:
 * index keys set or deleted, the waiting count and the hourly statistics buckets. It reads the
 * counters and buckets it changes; that is safe without checking them because only lead store
 * commits write them and every such commit checks the change head, so a racing writer makes one of
 * the two commits fail and retry with fresh reads.
 */
export async function addDerivedWrites(
  kv: Deno.Kv,
  op: Deno.AtomicOperation,
  writes: LeadWrite[],
): Promise<void> {
  let waitingDelta = 0;
  const moves: { from: LeadContribution | null; to: LeadContribution }[] = [];
  for (const { before, after } of writes) {
    const counted = before !== null && before.indexed === INDEX_VERSION ? before : null;
    const old = counted ? indexEntries(counted) : new Map<string, IndexEntry>();
    const next = indexEntries(after);
    for (const [name, entry] of old) {
      if (!next.has(name)) op.delete(entry.key);
    }
    for (const [name, entry] of next) {
      if (old.get(name)?.value !== entry.value) op.set(entry.key, entry.value);
    }
    waitingDelta += (isWaiting(after) ? 1 : 0) - (counted && isWaiting(counted) ? 1 : 0);
    const from = counted ? contributionOf(counted) : null;
    const to = contributionOf(after);
    if (!sameContribution(from, to)) moves.push({ from, to });
  }
  const hours = [
    ...new Set(moves.flatMap(({ from, to }) => from ? [from.hourMs, to.hourMs] : [to.hourMs])),
  ];
  const keys: Deno.KvKey[] = [
    ...hours.map(statsHourKey),
    ...(waitingDelta !== 0 ? [waitingCountKey()] : []),
  ];
  if (keys.length === 0) return;
  const entries = await getMany(kv, keys);
  const buckets = new Map<number, StatsBucket>();
  hours.forEach((hour, i) =>
    buckets.set(hour, (entries[i].value as StatsBucket | null) ?? emptyBucket())
  );
  for (const { from, to } of moves) {
    if (from) applyContribution(buckets.get(from.hourMs)!, from, -1);
    applyContribution(buckets.get(to.hourMs)!, to, 1);
  }
  for (const [hour, bucket] of buckets) {
    if (Object.keys(bucket.owners).length === 0) op.delete(statsHourKey(hour));
    else op.set(statsHourKey(hour), bucket);
  }
  if (waitingDelta !== 0) {
    const waiting = (entries[hours.length].value as number | null) ?? 0;
    op.set(waitingCountKey(), Math.max(0, waiting + waitingDelta));
  }
}

interface IndexEntry {
  key: Deno.KvKey;
  value: string | null;
}

/** The index keys a lead has, by a name unique per key. */
function indexEntries(lead: Lead): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  const createdMs = Date.parse(lead.createdTime);
  const owner = lead.ownerId ?? null;
  const add = (key: Deno.KvKey, value: string | null) =>
    entries.set(JSON.stringify(key), { key, value });
  add(leadByOwnerKey(owner, createdMs, lead.id), lead.id);
  const waiting = isWaiting(lead);
  if (waiting) add(leadWaitingKey(createdMs, lead.id), lead.id);
  if (waiting && owner === null) add(leadUnownedWaitingKey(createdMs, lead.id), lead.id);
  const followUp = lead.nextFollowUpAt ? Date.parse(lead.nextFollowUpAt) : NaN;
  if (Number.isFinite(followUp) && lead.status !== "won" && lead.status !== "lost") {
    add(leadByFollowUpKey(followUp, lead.id), owner);
  }
  const assigned = lead.assignedAt ? Date.parse(lead.assignedAt) : NaN;
  if (waiting && owner !== null && Number.isFinite(assigned)) {
    add(leadByAssignedKey(assigned, lead.id), owner);
  }
  return entries;
}

async function getMany(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<unknown>[]> {
  const out: Deno.KvEntryMaybe<unknown>[] = [];
  for (let i = 0; i < keys.length; i += 10) out.push(...await kv.getMany(keys.slice(i, i + 10)));
  return out;
}
