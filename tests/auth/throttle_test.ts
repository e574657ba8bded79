// Tests for login throttling per account and per address, on a fake clock.

import assert from "node:assert/strict";
import { createLoginThrottle } from "../../lib/auth/throttle.ts";
import { withKv } from "./_helpers.ts";

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const MINUTE = 60 * 1000;

Deno.test("[auth] throttle - 5 failures for one account refuse the 6th attempt", () =>
  withKv(async (kv) => {
    const throttle = createLoginThrottle(kv);
    for (let i = 0; i < 4; i++) {
      const attempt = { email: "ana@example.com", address: `10.0.0.${i}` };
      assert.deepEqual(await throttle.check(attempt, T0 + i * MINUTE), { allowed: true });
      assert.deepEqual(await throttle.recordFailure(attempt, T0 + i * MINUTE), { allowed: true });
    }
    const fifth = await throttle.recordFailure(
      { email: "ana@example.com", address: "10.0.0.9" },
      T0 + 4 * MINUTE,
    );
    assert.deepEqual(fifth, { allowed: false, retryAfterSeconds: 11 * 60 });
    // Case and spaces do not make a new account, and a new address does not help.
    const sixth = await throttle.check(
      { email: " ANA@example.com", address: "192.0.2.1" },
      T0 + 10 * MINUTE,
    );
    assert.deepEqual(sixth, { allowed: false, retryAfterSeconds: 5 * 60 });
    // Another account from the same addresses is fine.
    assert.deepEqual(await throttle.check({ email: "bo@example.com", address: "10.0.0.1" }, T0), {
      allowed: true,
    });
  }));

Deno.test("[auth] throttle - unknown and known accounts are counted alike", () =>
  withKv(async (kv) => {
    // No users exist at all: the counter still works by email, so 429 reveals nothing.
    const throttle = createLoginThrottle(kv);
    const attempt = { email: "nobody@example.com", address: "10.1.1.1" };
    for (let i = 0; i < 5; i++) await throttle.recordFailure(attempt, T0);
    assert.equal((await throttle.check(attempt, T0)).allowed, false);
  }));

Deno.test("[auth] throttle - 20 failures from one address refuse every account from it", () =>
  withKv(async (kv) => {
    const throttle = createLoginThrottle(kv);
    for (let i = 0; i < 19; i++) {
      const decision = await throttle.recordFailure(
        { email: `user${i}@example.com`, address: "198.51.100.7" },
        T0 + i * 1000,
      );
      assert.equal(decision.allowed, true, `failure ${i + 1}`);
    }
    const twentieth = await throttle.recordFailure(
      { email: "user19@example.com", address: "198.51.100.7" },
      T0 + 19_000,
    );
    assert.deepEqual(twentieth, { allowed: false, retryAfterSeconds: 15 * 60 - 19 });
    assert.equal(
      (await throttle.check({ email: "fresh@example.com", address: "198.51.100.7" }, T0 + 20_000))
        .allowed,
      false,
    );
    assert.equal(
      (await throttle.check({ email: "fresh@example.com", address: "198.51.100.8" }, T0 + 20_000))
        .allowed,
      true,
    );
  }));

Deno.test("[auth] throttle - retry-after is the longer of both waits", () =>
  withKv(async (kv) => {
    const throttle = createLoginThrottle(kv, { accountLimit: 2, addressLimit: 2 });
    await throttle.recordFailure({ email: "a@example.com", address: "x" }, T0);
    await throttle.recordFailure({ email: "b@example.com", address: "y" }, T0 + 5 * MINUTE);
    await throttle.recordFailure({ email: "b@example.com", address: "x" }, T0 + 6 * MINUTE);
    // Address x blocked until T0 + 15 min, account b until T0 + 20 min.
    assert.deepEqual(
      await throttle.check({ email: "b@example.com", address: "x" }, T0 + 10 * MINUTE),
      {
        allowed: false,
        retryAfterSeconds: 10 * 60,
      },
    );
  }));

Deno.test("[auth] throttle - failures older than the window no longer count", () =>
  withKv(async (kv) => {
    const throttle = createLoginThrottle(kv);
    const attempt = { email: "ana@example.com", address: "10.0.0.1" };
    for (let i = 0; i < 5; i++) await throttle.recordFailure(attempt, T0 + i * 1000);
    assert.equal((await throttle.check(attempt, T0 + 15 * MINUTE - 1)).allowed, false);
    assert.deepEqual(await throttle.check(attempt, T0 + 15 * MINUTE), { allowed: true });
    assert.deepEqual(await throttle.recordFailure(attempt, T0 + 15 * MINUTE), { allowed: true });
  }));

Deno.test("[auth] throttle - success clears the account, not the address", () =>
  withKv(async (kv) => {
    const throttle = createLoginThrottle(kv, { accountLimit: 3, addressLimit: 5 });
    const attempt = { email: "ana@example.com", address: "10.0.0.1" };
    for (let i = 0; i < 3; i++) await throttle.recordFailure(attempt, T0);
    await throttle.recordSuccess(attempt);
    assert.deepEqual(await throttle.check(attempt, T0), { allowed: true });
    await throttle.recordFailure(attempt, T0);
    await throttle.recordFailure(attempt, T0);
    // Five failures from this address in all: blocked although the account was cleared.
    assert.equal(
      (await throttle.check({ email: "zed@example.com", address: "10.0.0.1" }, T0)).allowed,
      false,
    );
  }));
