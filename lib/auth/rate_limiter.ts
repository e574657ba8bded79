// Fixed-window event counters in KV, e.g. failed logins per account or bad webhook signatures per address.

import { commitAtomic } from "../kv_commit.ts";
import { sha256Base64Url } from "../crypto.ts";
import { rateLimitKey } from "./keys.ts";

const WRITE_ATTEMPTS = 20;

/** Options for {@linkcode createRateLimiter}. */
export interface RateLimiterOptions {
  /** Names this limiter's counters in KV, e.g. `"login_account"`; keep it short and fixed. */
  prefix: string;
  /** Events allowed per window; the event that reaches it blocks further ones. */
  limit: number;
  /** Window length in ms, counted from the first event of the window. */
  windowMs: number;
}

/** Where a subject stands with a limiter. */
export interface RateLimitStatus {
  /** False once `limit` events happened within the window. */
  allowed: boolean;
  /** Events counted in the current window. */
  count: number;
  /** Events left before blocking (0 when blocked). */
  remaining: number;
  /** Whole seconds until the window ends when blocked (for `Retry-After`), else 0. */
  retryAfterSeconds: number;
}

/** A limiter bound to one KV and one prefix; every method takes an optional clock. */
export interface RateLimiter {
  /** Reports the status without counting anything: call before doing the work. */
  check(subject: string, now?: number): Promise<RateLimitStatus>;
  /** Counts one event (a failure) and returns the status that applies to the next attempt. */
  hit(subject: string, now?: number): Promise<RateLimitStatus>;
  /**
   * Counts one event before the work it guards, in one atomic commit, when the subject is under
   * its limit; `allowed` says whether this event was counted and may go ahead. However many
   * arrive at once, at most `limit` are let through per window (under contention it refuses
   * rather than let an uncounted event through).
   */
  take(subject: string, now?: number): Promise<RateLimitStatus>;
  /** Takes back one event that `take` counted in the current window, e.g. an attempt that succeeded. */
  release(subject: string, now?: number): Promise<void>;
  /** Forgets the subject's events, e.g. after a successful login. */
  reset(subject: string): Promise<void>;
}

interface Counter {
  count: number;
  windowStart: number;
}

/**
 * Creates a rate limiter whose counters live in KV under
 * `["rate_limits", prefix, sha256(subject)]` with a KV expiry, so subjects such as
 * emails or addresses are not stored in the clear and old counters vanish.
 * Once blocked, further hits write nothing, so a flood costs reads only.
 */
export function createRateLimiter(kv: Deno.Kv, options: RateLimiterOptions): RateLimiter {
  const { prefix, limit, windowMs } = options;
  if (typeof prefix !== "string" || prefix === "") {
    throw new TypeError("Cannot create rate limiter: prefix must be a non-empty string");
  }
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot create rate limiter: limit must be a positive integer, got ${limit}`,
    );
  }
  if (!Number.isSafeInteger(windowMs) || windowMs < 1000) {
    throw new RangeError(
      `Cannot create rate limiter: windowMs must be at least 1000, got ${windowMs}`,
    );
  }

  async function keyOf(subject: string): Promise<Deno.KvKey> {
    return rateLimitKey(prefix, await sha256Base64Url(String(subject)));
  }

  function statusOf(counter: Counter | null, now: number): RateLimitStatus {
    // A window that starts a little after `now` is live too: concurrent requests read the clock
    // before one of them opens the window, and must not start a fresh one over it.
    const live = counter !== null && now < counter.windowStart + windowMs;
    const count = live ? counter.count : 0;
    const allowed = count < limit;
    const left = Math.min(windowMs, counter === null ? 0 : counter.windowStart + windowMs - now);
    const retryAfterSeconds = allowed ? 0 : Math.max(1, Math.ceil(left / 1000));
    return { allowed, count, remaining: Math.max(0, limit - count), retryAfterSeconds };
  }

  return {
    async check(subject, now = Date.now()) {
      return statusOf((await kv.get<Counter>(await keyOf(subject))).value, now);
    },

    async hit(subject, now = Date.now()) {
      const key = await keyOf(subject);
      let status: RateLimitStatus = statusOf(null, now);
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        const entry = await kv.get<Counter>(key);
        status = statusOf(entry.value, now);
        if (!status.allowed) return status;
        const counter: Counter = status.count === 0
          ? { count: 1, windowStart: now }
          : { count: status.count + 1, windowStart: entry.value!.windowStart };
        const expireIn = Math.max(1, counter.windowStart + windowMs - now);
        if ((await commitAtomic(kv.atomic().check(entry).set(key, counter, { expireIn }))).ok) {
          return statusOf(counter, now);
        }
      }
      // Heavy contention on one subject: report what we last saw rather than fail the request.
      return status;
    },

    async take(subject, now = Date.now()) {
      const key = await keyOf(subject);
      let seen = 0;
      // Each round at least one contender commits, so `limit` rounds settle every outcome.
      for (let attempt = 0; attempt < limit + WRITE_ATTEMPTS; attempt++) {
        const entry = await kv.get<Counter>(key);
        const status = statusOf(entry.value, now);
        if (!status.allowed) return status;
        seen = status.count;
        const counter: Counter = status.count === 0
          ? { count: 1, windowStart: now }
          : { count: status.count + 1, windowStart: entry.value!.windowStart };
        const expireIn = Math.max(1, counter.windowStart + windowMs - now);
        if ((await commitAtomic(kv.atomic().check(entry).set(key, counter, { expireIn }))).ok) {
          return { ...statusOf(counter, now), allowed: true, retryAfterSeconds: 0 };
        }
      }
      return { allowed: false, count: seen, remaining: 0, retryAfterSeconds: 1 };
    },

    async release(subject, now = Date.now()) {
      const key = await keyOf(subject);
      for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        const entry = await kv.get<Counter>(key);
        const status = statusOf(entry.value, now);
        // Nothing counted in this window (it ended, or was reset): nothing to take back.
        if (status.count === 0) return;
        const counter: Counter = { count: status.count - 1, windowStart: entry.value!.windowStart };
        const expireIn = Math.max(1, counter.windowStart + windowMs - now);
        if ((await commitAtomic(kv.atomic().check(entry).set(key, counter, { expireIn }))).ok) {
          return;
        }
      }
      // Heavy contention: the event stays counted, which errs on the side of the limit.
    },

    async reset(subject) {
      await kv.delete(await keyOf(subject));
    },
  };
}
