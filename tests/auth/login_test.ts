// Tests for a whole sign-in attempt: success, uniform failures, throttling and hash upgrades.

import assert from "node:assert/strict";
import { logIn } from "../../lib/auth/login.ts";
import { getSession } from "../../lib/auth/sessions.ts";
import { createLoginThrottle } from "../../lib/auth/throttle.ts";
import { getUser, setDisabled } from "../../lib/auth/users.ts";
import { storedIterations, verifyPassword } from "../../lib/auth/password.ts";
import { addUser, FAST, withKv } from "./_helpers.ts";

const T0 = Date.UTC(2025, 5, 1, 9, 0, 0);
const PASSWORD = "correct horse battery";

Deno.test("[auth] logIn - right password starts a session and stamps the login", () =>
  withKv(async (kv) => {
    const user = await addUser(kv, { email: "ana@example.com" });
    const result = await logIn(
      kv,
      { email: " ANA@example.com", password: PASSWORD, address: "10.0.0.1" },
      { ...FAST, now: T0 },
    );
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.user.id, user.id);
    assert.equal(result.user.lastLoginAt, new Date(T0).toISOString());
    assert.equal("passwordHash" in result.user, false);
    assert.equal(result.session.expiresAt, T0 + 12 * 60 * 60 * 1000);
    assert.equal((await getSession(kv, result.session.id, T0 + 1))?.user.id, user.id);
  }));

Deno.test("[auth] logIn - unknown email, wrong password and disabled account look the same", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const agent = await addUser(kv, { email: "off@example.com" });
    await setDisabled(kv, agent.id, true);
    await addUser(kv, { email: "on@example.com" });
    const attempts = [
      { email: "nobody@example.com", password: PASSWORD },
      { email: "on@example.com", password: "wrong password here" },
      { email: "off@example.com", password: PASSWORD },
      { email: "", password: "" },
      { email: "x".repeat(5000), password: PASSWORD },
    ];
    for (const attempt of attempts) {
      const result = await logIn(kv, { ...attempt, address: "10.0.0.2" }, FAST);
      assert.deepEqual(result, { ok: false, reason: "invalid_credentials" });
    }
    assert.equal((await Array.fromAsync(kv.list({ prefix: ["sessions"] }))).length, 0);
  }));

Deno.test("[auth] logIn - an unknown email still runs a PBKDF2 derivation", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "known@example.com" });
    // An impossible iteration count only matters where a derivation with it is run:
    // the dummy check for unknown emails. A known email verifies against its own hash.
    const bad = { iterations: -1 };
    const known = await logIn(kv, {
      email: "known@example.com",
      password: "nope nope nope",
      address: "a",
    }, bad);
    assert.deepEqual(known, { ok: false, reason: "invalid_credentials" });
    await assert.rejects(
      () =>
        logIn(kv, { email: "unknown@example.com", password: "nope nope nope", address: "a" }, bad),
      RangeError,
    );
  }));

Deno.test("[auth] logIn - 5 failures lock the account for 15 minutes, even with the right password", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "ana@example.com" });
    const wrong = {
      email: "ana@example.com",
      password: "wrong password here",
      address: "10.0.0.3",
    };
    for (let i = 0; i < 5; i++) {
      const result = await logIn(kv, wrong, { ...FAST, now: T0 + i * 1000 });
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.reason, "invalid_credentials");
    }
    const right = { ...wrong, password: PASSWORD, address: "10.9.9.9" };
    assert.deepEqual(await logIn(kv, right, { ...FAST, now: T0 + 60_000 }), {
      ok: false,
      reason: "throttled",
      retryAfterSeconds: 14 * 60,
    });
    assert.equal((await logIn(kv, right, { ...FAST, now: T0 + 15 * 60_000 })).ok, true);
  }));

Deno.test("[auth] logIn - throttling an unknown email answers exactly like a known one", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "known@example.com" });
    const outcomes = [];
    for (const email of ["known@example.com", "ghost@example.com"]) {
      for (let i = 0; i < 5; i++) {
        await logIn(kv, { email, password: "wrong password", address: email }, {
          ...FAST,
          now: T0,
        });
      }
      outcomes.push(
        await logIn(kv, { email, password: "x", address: email }, { ...FAST, now: T0 }),
      );
    }
    assert.deepEqual(outcomes[0], outcomes[1]);
    assert.equal(outcomes[0].ok, false);
  }));

Deno.test("[auth] logIn - a custom throttle is honoured and success clears the account count", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "ana@example.com" });
    const throttle = createLoginThrottle(kv, { accountLimit: 2, addressLimit: 100 });
    const options = { ...FAST, throttle, now: T0 };
    await logIn(
      kv,
      { email: "ana@example.com", password: "wrong password", address: "a" },
      options,
    );
    assert.equal(
      (await logIn(kv, { email: "ana@example.com", password: PASSWORD, address: "a" }, options)).ok,
      true,
    );
    await logIn(
      kv,
      { email: "ana@example.com", password: "wrong password", address: "a" },
      options,
    );
    assert.deepEqual(await throttle.check({ email: "ana@example.com", address: "a" }, T0), {
      allowed: true,
    });
  }));

Deno.test("[auth] logIn - a hash with fewer iterations than today's is upgraded", () =>
  withKv(async (kv) => {
    const user = await addUser(kv, { email: "old@example.com" });
    const result = await logIn(
      kv,
      { email: "old@example.com", password: PASSWORD, address: "a" },
      { iterations: 2_000 },
    );
    assert.equal(result.ok, true);
    const stored = await getUser(kv, user.id);
    assert.equal(storedIterations(stored!.passwordHash), 2_000);
    assert.equal(await verifyPassword(PASSWORD, stored!.passwordHash), true);
    assert.ok(
      result.ok && await getSession(kv, result.session.id),
      "the new session survives the upgrade",
    );
  }));
