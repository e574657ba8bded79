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

/** Reads KV entries (e.g. `kv.getMany`, or a cache in front of it), in the order of `keys`. */
export type CounterReader = (keys: Deno.KvKey[]) => Promise<Deno.KvEntryMaybe<unknown>[]>;

/** A counter or statistics bucket a commit writes: its new value, or null when it is deleted. */
export interface CounterWrite {
  key: Deno.KvKey;
  value: unknown;
}

/**
 * Adds to `op` every derived write that takes the leads of `writes` from `before` to `after`:
 * index keys set or deleted (addIndexWrites), then the waiting count and the hourly statistics
 * buckets (addCounterWrites). Call it once per commit with every lead the commit writes: the
 * counters add up all of them. Resolves with what it writes to the counters.
 */
export async function addDerivedWrites(
  kv: Deno.Kv,
  op: Deno.AtomicOperation,
  writes: LeadWrite[],
  options: { read?: CounterReader } = {},
): Promise<CounterWrite[]> {
  for (const write of writes) addIndexWrites(op, write);
  return await addCounterWrites(op, writes, options.read ?? ((keys) => getMany(kv, keys)));
}

/** Adds to `op` the index keys that take one lead from `before` to `after` (set or deleted). */
export function addIndexWrites(op: Deno.AtomicOperation, { before, after }: LeadWrite): void {
  const counted = countedBefore(before);
  const old = counted ? indexEntries(counted) : new Map<string, IndexEntry>();
  const next = indexEntries(after);
  for (const [name, entry] of old) {
    if (!next.has(name)) op.delete(entry.key);
  }
  for (const [name, entry] of next) {
    if (old.get(name)?.value !== entry.value) op.set(entry.key, entry.value);
  }
}

/**
 * The counter and bucket keys `writes` change (each read and written once per commit), so a
 * caller can size a commit before it is built.
 */
export function counterKeysOf(writes: LeadWrite[]): Deno.KvKey[] {
  const { hours, waitingDelta } = counterChanges(writes);
  return [...hours.map(statsHourKey), ...(waitingDelta !== 0 ? [waitingCountKey()] : [])];
}

/**
 * Adds to `op` the waiting count and hourly statistics buckets that `writes` change, each
 * read through `read`, changed, written back, and checked: the commit fails if any of them
 * changed after it was read, so two writers racing on one counter never lose an update (one
 * commit fails and its writer tries again with fresh reads). The lead store's commits also
 * check the change head, which every one of them moves; the checks here keep the counters safe
 * by themselves, whatever else a commit checks. Resolves with what it writes.
 */
export async function addCounterWrites(
  op: Deno.AtomicOperation,
  writes: LeadWrite[],
  read: CounterReader,
): Promise<CounterWrite[]> {
  const { hours, waitingDelta, moves } = counterChanges(writes);
  const keys: Deno.KvKey[] = [
    ...hours.map(statsHourKey),
    ...(waitingDelta !== 0 ? [waitingCountKey()] : []),
  ];
  if (keys.length === 0) return [];
  const entries = await read(keys);
  for (const entry of entries) op.check({ key: entry.key, versionstamp: entry.versionstamp });
  const buckets = new Map<number, StatsBucket>();
  hours.forEach((hour, i) =>
    // A copy: the reader may hand out what a cache holds.
    buckets.set(hour, structuredClone(entries[i].value as StatsBucket | null) ?? emptyBucket())
  );
  for (const { from, to } of moves) {
    if (from) applyContribution(buckets.get(from.hourMs)!, from, -1);
    applyContribution(buckets.get(to.hourMs)!, to, 1);
  }
  const written: CounterWrite[] = [];
  for (const [hour, bucket] of buckets) {
    const key = statsHourKey(hour);
    if (Object.keys(bucket.owners).length === 0) {
      op.delete(key);
      written.push({ key, value: null });
    } else {
      op.set(key, bucket);
      written.push({ key, value: bucket });
    }
  }
  if (waitingDelta !== 0) {
    const waiting = (entries[hours.length].value as number | null) ?? 0;
    const value = Math.max(0, waiting + waitingDelta);
    op.set(waitingCountKey(), value);
    written.push({ key: waitingCountKey(), value });
  }
  return written;
}

/**
 * Every index key `lead` has, as addIndexWrites sets them: what removing the lead deletes. Taken
 * from the same derivation as the writes, so a new kind of index key is covered by itself.
 */
export function indexKeysOf(lead: Lead): Deno.KvKey[] {
  return [...indexEntries(lead).values()].map((entry) => entry.key);
}

/**
 * Adds to `op` the derived writes that remove `lead` for good: every index key it has deleted,
 * and the waiting count lowered when it was waiting (checked, as addCounterWrites checks it). The
 * hourly statistics buckets keep it: they hold counts and durations, no personal data, and they
 * are the history of what the team did (a lead erased today still counted in today's figures).
 * Resolves with what it writes to the counters.
 */
export async function addRemovalWrites(
  op: Deno.AtomicOperation,
  lead: Lead,
  read: CounterReader,
): Promise<CounterWrite[]> {
  // Keys of a lead not yet counted (an old record) are deleted all the same: deleting an absent
  // key is harmless, and a half-indexed record leaves nothing behind.
  for (const key of indexKeysOf(lead)) op.delete(key);
  const counted = countedBefore(lead);
  if (!counted || !isWaiting(counted)) return [];
  const [entry] = await read([waitingCountKey()]);
  op.check({ key: entry.key, versionstamp: entry.versionstamp });
  const value = Math.max(0, ((entry.value as number | null) ?? 0) - 1);
  op.set(waitingCountKey(), value);
  return [{ key: waitingCountKey(), value }];
}

/** A lead as counted in the indexes and statistics before a write: null when it was not. */
function countedBefore(before: Lead | null): Lead | null {
  return before !== null && before.indexed === INDEX_VERSION ? before : null;
}

/** What `writes` change in the counters: the buckets' hours, the waiting delta, the moves. */
function counterChanges(writes: LeadWrite[]) {
  let waitingDelta = 0;
  const moves: { from: LeadContribution | null; to: LeadContribution }[] = [];
  for (const { before, after } of writes) {
    const counted = countedBefore(before);
    waitingDelta += (isWaiting(after) ? 1 : 0) - (counted && isWaiting(counted) ? 1 : 0);
    const from = counted ? contributionOf(counted) : null;
    const to = contributionOf(after);
    if (!sameContribution(from, to)) moves.push({ from, to });
  }
  const hours = [
    ...new Set(moves.flatMap(({ from, to }) => from ? [from.hourMs, to.hourMs] : [to.hourMs])),
  ];
  return { hours, waitingDelta, moves };
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
