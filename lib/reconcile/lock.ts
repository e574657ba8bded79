// A KV lock with an expiry, so at most one sweep runs at a time across every process on one KV.

import { commitAtomic } from "../kv_commit.ts";
import { ulid } from "../ids.ts";
import { reconcileLockKey } from "./keys.ts";

/** What the lock key holds. */
export interface SweepLockRecord {
  owner: string;
  /** Ms since the epoch; after it anyone may take the lock over (a crashed holder). */
  until: number;
}

/** A held lock. */
export interface SweepLock {
  readonly owner: string;
  /** Pushes the expiry out by the lock's ttl; false when the lock was lost (expired and taken). */
  refresh(): Promise<boolean>;
  /** Gives the lock up; does nothing when it was lost. */
  release(): Promise<void>;
}

/**
 * Takes the sweep lock for `ttlMs`, or returns null when another holder's lock has not expired.
 * The record carries its own `until` because KV's `expireIn` deletes late, not on the dot.
 */
export async function acquireSweepLock(
  kv: Deno.Kv,
  options: { ttlMs: number; now: () => number },
): Promise<SweepLock | null> {
  const key = reconcileLockKey();
  const owner = ulid();
  const current = await kv.get<SweepLockRecord>(key);
  if (current.value !== null && current.value.until > options.now()) return null;
  const record: SweepLockRecord = { owner, until: options.now() + options.ttlMs };
  const result = await commitAtomic(
    kv.atomic().check(current).set(key, record, { expireIn: options.ttlMs }),
  );
  if (!result.ok) return null;

  async function mine(): Promise<Deno.KvEntryMaybe<SweepLockRecord> | null> {
    const entry = await kv.get<SweepLockRecord>(key);
    return entry.value?.owner === owner ? entry : null;
  }

  return {
    owner,
    async refresh() {
      const entry = await mine();
      if (entry === null) return false;
      const next: SweepLockRecord = { owner, until: options.now() + options.ttlMs };
      const committed = await commitAtomic(
        kv.atomic().check(entry).set(key, next, { expireIn: options.ttlMs }),
      );
      return committed.ok;
    },
    async release() {
      const entry = await mine();
      if (entry !== null) await commitAtomic(kv.atomic().check(entry).delete(key));
    },
  };
}
