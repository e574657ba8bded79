// Reads a new lead from the Graph API while its stub is still being committed, so the fetch job
// that runs after the commit finds the answer (or the call under way) instead of starting it.

import type { GraphLead } from "./lead_fields.ts";
import type { LeadReader } from "./lead_batcher.ts";

/** Options of `createPrefetchingReader`. */
export interface PrefetchOptions {
  /** Reads started ahead and not yet taken, at most (default 500): past it, none is started. */
  maxWaiting?: number;
  /** A read not taken within this long is forgotten (default 60,000 ms): its job never came. */
  ttlMs?: number;
  now?: () => number;
}

/** A lead reader that can start a read before anyone asks for it. */
export interface PrefetchingReader extends LeadReader {
  /**
   * Starts reading the lead now; the next `getLead` of it takes this read (its answer or its
   * error) instead of making another. For a lead whose fetch job will run in this process a
   * moment later. Does nothing when the lead is already being read ahead or too many wait.
   */
  prefetch(leadgenId: string, pageId: string): void;
  /** Reads started ahead and not yet taken. */
  readonly waiting: number;
}

interface Ahead {
  read: Promise<GraphLead>;
  at: number;
}

/**
 * Wraps `reader` (the batcher, so leads read ahead together still share requests). Each read
 * ahead is taken at most once: a job that runs again later (a retry) reads afresh.
 */
export function createPrefetchingReader(
  reader: LeadReader,
  options: PrefetchOptions = {},
): PrefetchingReader {
  const maxWaiting = options.maxWaiting ?? 500;
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const ahead = new Map<string, Ahead>();
  const keyOf = (leadgenId: string, pageId: string) => `${pageId}/${leadgenId}`;

  // Forgets the reads whose jobs never came (their commit failed); oldest first (Map order).
  function expire(at: number) {
    for (const [key, entry] of ahead) {
      if (at - entry.at < ttlMs) break;
      ahead.delete(key);
    }
  }

  return {
    prefetch(leadgenId, pageId) {
      const at = now();
      expire(at);
      const key = keyOf(leadgenId, pageId);
      if (ahead.has(key) || ahead.size >= maxWaiting) return;
      const read = reader.getLead(leadgenId, pageId);
      // Its error belongs to the job that takes it; one nobody takes must not go unhandled.
      read.catch(() => {});
      ahead.set(key, { read, at });
    },
    getLead(leadgenId, pageId) {
      const key = keyOf(leadgenId, pageId);
      const entry = ahead.get(key);
      if (entry === undefined) return reader.getLead(leadgenId, pageId);
      ahead.delete(key);
      if (now() - entry.at >= ttlMs) return reader.getLead(leadgenId, pageId);
      return entry.read;
    },
    get waiting() {
      expire(now());
      return ahead.size;
    },
  };
}
