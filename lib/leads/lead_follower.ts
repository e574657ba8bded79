// Follows the lead change log from a stored cursor, so records derived from leads catch up with every change.

import { commitAtomic } from "../kv_commit.ts";
import type { Lead } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** `["lead_followers", name]` -> the last change seq that follower `name` has seen. */
export function leadFollowerKey(name: string): Deno.KvKey {
  return ["lead_followers", name];
}

/** What a follower does with leads; both must be idempotent (a change may be seen twice). */
export interface LeadFollower {
  /** Called with the leads of each batch of changes, in change order (a lead may repeat). */
  visit(leads: Lead[]): Promise<void>;
  /** Called instead when changes were missed (expired from the log): derive everything again. */
  rebuild(): Promise<void>;
}

/** What one catch-up did. */
export interface FollowResult {
  /** Changes visited. */
  visited: number;
  /** True when the log had a gap and `rebuild` ran. */
  rebuilt: boolean;
  /** The seq the follower has now seen up to. */
  seq: number;
}

/**
 * Changes read at once. A catch-up over many changes (a server starting on a KV no server has
 * followed) runs beside requests on the same thread: each batch's leads are decoded in one go,
 * so batches stay small and the catch-up lets waiting requests go first between them.
 */
const BATCH = 100;
/** Catch-ups running in this process, per KV and follower name, so callers share one. */
const running = new WeakMap<Deno.Kv, Map<string, Promise<FollowResult>>>();
/**
 * Each follower's stored seq as this process last read or wrote it, per KV: a catch-up starts
 * from it and saves with a check against it, with no read first (two of a catch-up's reads, and
 * a catch-up runs after every change). Another process saving meanwhile makes the check fail,
 * and the save reads the key then; starting from an older seq than another process stored only
 * visits some changes again, which visits allow.
 */
const positions = new WeakMap<Deno.Kv, Map<string, Deno.KvEntryMaybe<number>>>();

/**
 * Brings follower `name` up to date with the lead change log: visits every change after its stored
 * seq and stores the new seq. Callers in one process at the same time share one catch-up; across
 * processes two catch-ups may visit the same changes, which is why visits must be idempotent.
 */
export function catchUpLeadFollower(
  kv: Deno.Kv,
  store: LeadStore,
  name: string,
  follower: LeadFollower,
): Promise<FollowResult> {
  let byName = running.get(kv);
  if (!byName) running.set(kv, byName = new Map());
  const existing = byName.get(name);
  if (existing) return existing;
  const promise = catchUp(kv, store, name, follower).finally(() => byName.delete(name));
  byName.set(name, promise);
  return promise;
}

async function catchUp(
  kv: Deno.Kv,
  store: LeadStore,
  name: string,
  follower: LeadFollower,
): Promise<FollowResult> {
  const key = leadFollowerKey(name);
  let visited = 0;
  let rebuilt = false;
  let known = positions.get(kv);
  if (!known) positions.set(kv, known = new Map());
  let stored = known.get(name) ?? await kv.get<number>(key);
  known.set(name, stored);
  let seq = stored.value ?? 0;
  while (true) {
    const page = await store.listChangesSince(seq, BATCH);
    if (page.gap) {
      await follower.rebuild();
      rebuilt = true;
      seq = page.head;
    } else if (page.changes.length > 0) {
      await follower.visit(page.changes.map((change) => change.lead));
      visited += page.changes.length;
      seq = page.changes[page.changes.length - 1].seq;
    } else {
      // Changes whose lead is gone leave nothing to visit; the head is as far as we can get.
      seq = Math.max(seq, page.head);
    }
    stored = await saveSeq(kv, stored, seq);
    known.set(name, stored);
    if (seq >= page.head || page.changes.length === 0) return { visited, rebuilt, seq };
    await yieldToRequests();
  }
}

/** Waits one turn of the event loop, so requests that came in meanwhile are handled first. */
export function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Stores `seq` unless a later one is stored already, starting from `entry` (the key as last seen);
 * returns the key as it is now, or `entry` when it could not tell.
 */
async function saveSeq(
  kv: Deno.Kv,
  entry: Deno.KvEntryMaybe<number>,
  seq: number,
): Promise<Deno.KvEntryMaybe<number>> {
  for (let attempt = 0; attempt < 10; attempt++) {
    if ((entry.value ?? 0) >= seq) return entry;
    const result = await commitAtomic(kv.atomic().check(entry).set(entry.key, seq));
    if (result.ok) return { key: entry.key, value: seq, versionstamp: result.versionstamp };
    entry = await kv.get<number>(entry.key);
  }
  return entry;
}
