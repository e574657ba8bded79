// Concurrent sign-in guesses: each attempt is counted atomically before its password is checked,
// so no burst gets more password checks than the limit (5 per account, 20 per address).

import assert from "node:assert/strict";
import { logIn, type LogInResult } from "../../lib/auth/login.ts";
import { createRateLimiter } from "../../lib/auth/rate_limiter.ts";
import { createLoginThrottle } from "../../lib/auth/throttle.ts";
import { addUser, FAST, withKv } from "./_helpers.ts";

const T0 = Date.UTC(2025, 6, 1, 9, 0, 0);
const MINUTE = 60 * 1000;
const PASSWORD = "correct horse battery";

function tally(results: LogInResult[]) {
  const invalid = results.filter((r) => !r.ok && r.reason === "invalid_credentials").length;
  const throttled = results.filter((r) => !r.ok && r.reason === "throttled").length;
  return { invalid, throttled, ok: results.filter((r) => r.ok).length };
}

Deno.test("[auth] logIn - 15 concurrent wrong guesses: only 5 reach a password check, then even the right password waits", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "ana@example.com" });
    const guesses = Array.from({ length: 15 }, (_, i) =>
      logIn(
        kv,
        { email: "ana@example.com", password: `wrong guess ${i}`, address: `10.0.0.${i}` },
        { ...FAST, now: T0 },
      ));
    const counts = tally(await Promise.all(guesses));
    // invalid_credentials is only ever answered after a password check.
    assert.equal(counts.invalid, 5, "exactly the account limit was checked");
    assert.equal(counts.throttled, 10);
    const right = await logIn(
      kv,
      { email: "ana@example.com", password: PASSWORD, address: "10.0.1.1" },
      { ...FAST, now: T0 + MINUTE },
    );
    assert.equal(right.ok, false);
    assert.equal(!right.ok && right.reason, "throttled");
    const later = await logIn(
      kv,
      { email: "ana@example.com", password: PASSWORD, address: "10.0.1.1" },
      { ...FAST, now: T0 + 15 * MINUTE },
    );
    assert.equal(later.ok, true, "the window ends");
  }));

Deno.test("[auth] logIn - 40 concurrent guesses at different accounts from one address: only 20 are checked", () =>
  withKv(async (kv) => {
    const guesses = Array.from({ length: 40 }, (_, i) =>
      logIn(
        kv,
        { email: `person${i}@example.com`, password: "wrong", address: "198.51.100.7" },
        { ...FAST, now: T0 },
      ));
    const counts = tally(await Promise.all(guesses));
    assert.equal(counts.invalid, 20, "exactly the address limit was checked");
    assert.equal(counts.throttled, 20);
    // The refused attempts counted nothing against their accounts.
    const throttle = createLoginThrottle(kv);
    for (let i = 0; i < 40; i++) {
      const status = await throttle.check(
        { email: `person${i}@example.com`, address: "203.0.113.1" },
        T0,
      );
      assert.equal(status.allowed, true, `person${i} is not locked by someone else's refusals`);
    }
  }));

Deno.test("[auth] logIn - successes are not failures: sign-ins from one office address keep passing", () =>
  withKv(async (kv) => {
    const users = await Promise.all(
      Array.from({ length: 30 }, (_, i) => addUser(kv, { email: `staff${i}@example.com` })),
    );
    const signIn = (user: { email: string }) =>
      logIn(kv, { email: user.email, password: PASSWORD, address: "192.0.2.10" }, {
        ...FAST,
        now: T0,
      });
    // Up to the address limit at once: each is counted while its password is checked, then
    // given back. (More than 20 in flight from one address at once would wait: the price of
    // never checking more than 20 unknown passwords.)
    const together = await Promise.all(users.slice(0, 20).map(signIn));
    assert.deepEqual(tally(together), { invalid: 0, throttled: 0, ok: 20 });
    const oneByOne: LogInResult[] = [];
    for (const user of users.slice(20)) oneByOne.push(await signIn(user));
    assert.deepEqual(tally(oneByOne), { invalid: 0, throttled: 0, ok: 10 });
    assert.equal(
      (await createLoginThrottle(kv).check({ email: "new@example.com", address: "192.0.2.10" }, T0))
        .allowed,
      true,
    );
  }));

Deno.test("[auth] rateLimiter - concurrent takes let exactly the limit through, and release gives one back", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, { prefix: "t", limit: 5, windowMs: MINUTE });
    const taken = await Promise.all(Array.from({ length: 30 }, () => limiter.take("a", T0)));
    assert.equal(taken.filter((s) => s.allowed).length, 5);
    const refused = taken.find((s) => !s.allowed)!;
    assert.equal(refused.retryAfterSeconds, 60);
    assert.equal((await limiter.check("a", T0)).count, 5, "refused takes counted nothing");
    await limiter.release("a", T0 + 1000);
    assert.equal((await limiter.check("a", T0 + 1000)).count, 4);
    assert.equal((await limiter.take("a", T0 + 2000)).allowed, true);
    assert.equal((await limiter.take("a", T0 + 2000)).allowed, false);
    // Nothing to give back once the window is over.
    await limiter.release("a", T0 + MINUTE);
    assert.equal((await limiter.check("a", T0 + MINUTE)).count, 0);
  }));

Deno.test("[auth] rateLimiter - a request whose clock read a moment before the window opened does not start a new one", () =>
  withKv(async (kv) => {
    const limiter = createRateLimiter(kv, { prefix: "t", limit: 2, windowMs: MINUTE });
    // Two requests read the clock at T0 and T0 + 3 ms; the later one happens to commit first.
    assert.equal((await limiter.take("a", T0 + 3)).allowed, true);
    assert.equal((await limiter.take("a", T0)).allowed, true);
    assert.equal((await limiter.take("a", T0)).allowed, false, "still the same window");
    assert.equal((await limiter.check("a", T0)).retryAfterSeconds, 60);
    assert.equal((await limiter.take("a", T0 + 3 + MINUTE)).allowed, true, "until it ends");
  }));
