// Retention: purges leads older than the configured days and raw deliveries past theirs.

import { deleteDeliveriesBefore } from "./deliveries.ts";
import { eraseLead, finishPendingErasures } from "./erase.ts";
import { leadByCreatedKey, LEADS_BY_CREATED_PREFIX } from "./keys.ts";
import type { LeadStore } from "./store.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options of `purgeExpired`. */
export interface PurgeOptions {
  /** Leads created longer ago than this many days are purged; null keeps every lead. */
  leadRetentionDays: number | null;
  /** Raw webhook deliveries received longer ago than this many days are deleted. */
  deliveryRetentionDays: number;
  /** The country hand-entered national numbers are read in (see eraseLead). */
  defaultCountry: string | null;
  /** Clock (default the real one). */
  now?: () => Date;
  /** Leads (and deliveries) read per batch (default 50 leads, 500 deliveries). */
  batch?: number;
  /** At most this many leads per call (default 2,000): the next run goes on from there. */
  maxLeads?: number;
}

/** What one `purgeExpired` did. */
export interface PurgeResult {
  /** Leads purged by age. */
  leadsPurged: number;
  /** Removals a crash had interrupted, finished. */
  erasuresFinished: number;
  /** Raw deliveries deleted. */
  deliveriesDeleted: number;
  /** True when it stopped at `maxLeads` with more to purge. */
  more: boolean;
}

/**
 * One retention pass: finishes removals a crash interrupted, purges leads created before the
 * retention cut-off (each with every key it has, through eraseLead, in bounded batches), and
 * deletes raw deliveries past theirs. Idempotent and resumable: each lead is removed in its own
 * commits, a crash leaves a marker the next pass finishes, and a lead already gone is skipped.
 */
export async function purgeExpired(
  kv: Deno.Kv,
  store: LeadStore,
  options: PurgeOptions,
): Promise<PurgeResult> {
  const now = options.now ?? (() => new Date());
  const batch = Math.max(1, options.batch ?? 50);
  const maxLeads = options.maxLeads ?? 2_000;
  const result: PurgeResult = {
    leadsPurged: 0,
    erasuresFinished: await finishPendingErasures(kv),
    deliveriesDeleted: 0,
    more: false,
  };
  if (options.leadRetentionDays !== null) {
    const cutoff = now().getTime() - options.leadRetentionDays * DAY_MS;
    while (true) {
      const entries: Deno.KvEntry<string>[] = [];
      const selector = { prefix: LEADS_BY_CREATED_PREFIX, end: leadByCreatedKey(cutoff, "") };
      for await (const entry of kv.list<string>(selector, { limit: batch })) entries.push(entry);
      for (const entry of entries) {
        const erased = await eraseLead(kv, store, entry.value, {
          reason: "retention",
          defaultCountry: options.defaultCountry,
          now,
        });
        // A created key whose lead is gone already leaves nothing else: drop it, or it stays first.
        if (erased === null) await kv.delete(entry.key);
        else result.leadsPurged++;
      }
      if (entries.length < batch) break;
      if (result.leadsPurged >= maxLeads) {
        result.more = true;
        break;
      }
    }
  }
  const deliveriesBefore = now().getTime() - options.deliveryRetentionDays * DAY_MS;
  while (true) {
    const deleted = await deleteDeliveriesBefore(kv, deliveriesBefore, 500);
    result.deliveriesDeleted += deleted;
    if (deleted < 500) break;
  }
  return result;
}
