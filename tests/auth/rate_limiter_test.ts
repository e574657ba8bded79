// Tests for the generic KV rate limiter: limits, retry-after, window expiry and reset.

import assert from "node:assert/strict";
import { createRateLimiter } from "../../lib/auth/rate_limiter.ts";
import { withKv } from "./_helpers.ts";

const T0 = Date.UTC(2025, 3, 1, 12, 0, 0);
const MINUTE = 60 * 1000;

Deno.test("[auth] rateLimiter - blocks once the limit is reached, with retry-after", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, {
      prefix: "webhook_bad_signature",
      limit: 3,
      windowMs: MINUTE,
    });
    assert.deepEqual(await limiter.check("203.0.113.9", T0), {
      allowed: true,
      count: 0,
      remaining: 3,
      retryAfterSeconds: 0,
    });
    assert.equal((await limiter.hit("203.0.113.9", T0)).remaining, 2);
    assert.equal((await limiter.hit("203.0.113.9", T0 + 1000)).allowed, true);
    const third = await limiter.hit("203.0.113.9", T0 + 2000);
    assert.deepEqual(third, { allowed: false, count: 3, remaining: 0, retryAfterSeconds: 58 });
    assert.equal((await limiter.check("203.0.113.9", T0 + 30_500)).retryAfterSeconds, 30);
    // Hits while blocked do not extend the window.
    await limiter.hit("203.0.113.9", T0 + 59_000);
    assert.equal((await limiter.check("203.0.113.9", T0 + 59_000)).retryAfterSeconds, 1);
    assert.equal((await limiter.check("203.0.113.9", T0 + 59_999)).retryAfterSeconds, 1);
    // Other subjects are unaffected.
    assert.equal((await limiter.check("203.0.113.10", T0 + 2000)).allowed, true);
  }));

Deno.test("[auth] rateLimiter - the window ends and counting starts over", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, { prefix: "t", limit: 2, windowMs: MINUTE });
    await limiter.hit("a", T0);
    await limiter.hit("a", T0 + 10_000);
    assert.equal((await limiter.check("a", T0 + MINUTE - 1)).allowed, false);
    assert.deepEqual(await limiter.check("a", T0 + MINUTE), {
      allowed: true,
      count: 0,
      remaining: 2,
      retryAfterSeconds: 0,
    });
    const fresh = await limiter.hit("a", T0 + MINUTE);
    assert.equal(fresh.count, 1);
    assert.equal((await limiter.hit("a", T0 + MINUTE + 1)).allowed, false);
  }));

Deno.test("[auth] rateLimiter - reset forgets a subject; prefixes are separate", () =>
  withKv(async (kv) => {
    const one = createRateLimiter(kv, { prefix: "one", limit: 1, windowMs: MINUTE });
    const two = createRateLimiter(kv, { prefix: "two", limit: 1, windowMs: MINUTE });
    await one.hit("x", T0);
    assert.equal((await one.check("x", T0)).allowed, false);
    assert.equal((await two.check("x", T0)).allowed, true);
    await one.reset("x");
    assert.equal((await one.check("x", T0)).allowed, true);
  }));

Deno.test("[auth] rateLimiter - concurrent hits are all counted", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, { prefix: "flood", limit: 50, windowMs: MINUTE });
    await Promise.all(Array.from({ length: 10 }, () => limiter.hit("198.51.100.1", T0)));
    assert.equal((await limiter.check("198.51.100.1", T0)).count, 10);
  }));

Deno.test("[auth] rateLimiter - subjects are stored as digests, not in the clear", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, { prefix: "login_account", limit: 5, windowMs: MINUTE });
    await limiter.hit("someone@example.com");
    const entries = await Array.fromAsync(kv.list({ prefix: ["rate_limits"] }));
    assert.equal(entries.length, 1);
    assert.equal(entries[0].key[1], "login_account");
    assert.ok(!JSON.stringify(entries[0]).includes("someone"));
  }));

Deno.test("[auth] rateLimiter - bad options are refused", () =>
  withKv(async (kv) => {
    assert.throws(
      () => createRateLimiter(kv, { prefix: "", limit: 1, windowMs: MINUTE }),
      TypeError,
    );
    assert.throws(
      () => createRateLimiter(kv, { prefix: "p", limit: 0, windowMs: MINUTE }),
      RangeError,
    );
    assert.throws(() => createRateLimiter(kv, { prefix: "p", limit: 1, windowMs: 10 }), RangeError);
    await Promise.resolve();
  }));
