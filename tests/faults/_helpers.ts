// Shared by the fault suites (`deno task test:faults`): sizes, a concurrent sender, KV counts.

import { waitFor } from "../_helpers/wait.ts";

/**
 * FAULTS_SCALE (default 1) multiplies every suite's size, so CI can run them smaller; the
 * defaults are the sizes the issue asks for.
 */
export function scaled(n: number): number {
  const scale = Number(Deno.env.get("FAULTS_SCALE") ?? "1");
  if (!(scale > 0)) throw new Error(`FAULTS_SCALE must be a positive number, got "${scale}"`);
  return Math.max(1, Math.round(n * scale));
}

/** A seeded pseudo-random source (mulberry32), so a failing run can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `items` in place with `random`; returns them. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` at once. */
export async function pool(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

/** How many keys KV holds under `prefix`. */
export async function countKeys(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let count = 0;
  for await (const _ of kv.list({ prefix })) count++;
  return count;
}

/**
 * Polls `probe` until it returns true, or throws after `timeoutMs` naming `what`: the shared
 * waitFor, with the fault suites' longer default deadline.
 */
export async function until(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(probe, what, { timeoutMs, intervalMs: 50 });
}
