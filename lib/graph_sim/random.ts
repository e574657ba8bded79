// Seeded pseudo-random numbers and Meta-like ID generation for the Graph API simulator.

/** A deterministic random source: the same seed gives the same sequence. */
export interface SimRandom {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** True with the given probability. */
  chance(probability: number): boolean;
  /** A string of `count` random digits (the first one is never 0). */
  digits(count: number): string;
}

/** Creates a mulberry32 generator: small, fast, and good enough for fixtures. */
export function createRandom(seed: number): SimRandom {
  let state = (Math.floor(seed) >>> 0) || 0x9e3779b9;
  function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  function int(min: number, max: number): number {
    return min + Math.floor(next() * (max - min + 1));
  }
  return {
    next,
    int,
    pick: (items) => items[int(0, items.length - 1)],
    chance: (probability) => next() < probability,
    digits(count) {
      let text = String(int(1, 9));
      while (text.length < count) text += String(int(0, 9));
      return text;
    },
  };
}

/** Largest integer a JavaScript number holds exactly (2^53 - 1) as a BigInt. */
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Makes a lead id like Meta's: 15-16 digits below 2^53, or (big) an odd 17 digit id above 2^53,
 * which a JavaScript number cannot hold exactly.
 */
export function leadId(random: SimRandom, big: boolean): string {
  if (!big) {
    // 16 digits starting 1-8 stay below 9.007e15.
    return String(random.int(1, 8)) + random.digits(15).slice(1) + String(random.int(0, 9));
  }
  let id = BigInt(random.digits(17));
  if (id % 2n === 0n) id += 1n;
  if (id <= MAX_SAFE) id += MAX_SAFE;
  return id.toString();
}
