// Tests for password hashing, verification, policy and the dummy check.

import assert from "node:assert/strict";
import {
  checkPasswordPolicy,
  DEFAULT_ITERATIONS,
  dummyVerify,
  generatePassword,
  hashPassword,
  storedIterations,
  verifyPassword,
} from "../../lib/auth/password.ts";
import { timingSafeEqual } from "../../lib/crypto.ts";
import { PasswordPolicyError } from "../../lib/auth/errors.ts";

const FAST = { iterations: 1_000 };

Deno.test("[auth] hashPassword - default 600k iterations round trip", async () => {
  const stored = await hashPassword("correct horse battery");
  assert.match(stored, /^pbkdf2-sha256\$600000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.equal(storedIterations(stored), DEFAULT_ITERATIONS);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
});

Deno.test("[auth] hashPassword - same password gets a fresh salt each time", async () => {
  const a = await hashPassword("correct horse battery", FAST);
  const b = await hashPassword("correct horse battery", FAST);
  assert.notEqual(a, b);
  assert.equal(a.split("$")[1], "1000");
  assert.equal(await verifyPassword("correct horse battery", a), true);
  assert.equal(await verifyPassword("correct horse battery", b), true);
});

Deno.test("[auth] verifyPassword - wrong password is rejected", async () => {
  const stored = await hashPassword("correct horse battery", FAST);
  assert.equal(await verifyPassword("correct horse batterY", stored), false);
  assert.equal(await verifyPassword("", stored), false);
});

Deno.test("[auth] verifyPassword - unicode is normalised before hashing", async () => {
  const stored = await hashPassword("pa\u00dfw\u00f6rter-12", FAST);
  assert.equal(await verifyPassword("pa\u00dfwo\u0308rter-12", stored), true);
});

Deno.test("[auth] verifyPassword - tampered or malformed stored strings give false", async (t) => {
  const stored = await hashPassword("correct horse battery", FAST);
  const [scheme, iterations, salt, hash] = stored.split("$");
  const flip = (b64: string) => {
    const bytes = Uint8Array.fromBase64(b64);
    bytes[bytes.length - 1] ^= 1;
    return bytes.toBase64();
  };
  const cases: Record<string, string> = {
    "hash last byte flipped": [scheme, iterations, salt, flip(hash)].join("$"),
    "salt changed": [scheme, iterations, flip(salt), hash].join("$"),
    "iterations changed": [scheme, "1001", salt, hash].join("$"),
    "unknown scheme": ["pbkdf2-sha1", iterations, salt, hash].join("$"),
    "zero iterations": [scheme, "0", salt, hash].join("$"),
    "huge iterations": [scheme, "99999999999", salt, hash].join("$"),
    "hash truncated": [scheme, iterations, salt, hash.slice(0, 20)].join("$"),
    "not base64": [scheme, iterations, salt, "!!!!"].join("$"),
    "missing part": [scheme, iterations, salt].join("$"),
    "empty": "",
  };
  for (const [name, tampered] of Object.entries(cases)) {
    await t.step(name, async () => {
      assert.equal(await verifyPassword("correct horse battery", tampered), false);
    });
  }
});

Deno.test("[auth] checkPasswordPolicy - length limits with clear errors", () => {
  assert.throws(() => checkPasswordPolicy("short-pw1"), PasswordPolicyError);
  assert.throws(() => checkPasswordPolicy("short-pw1"), /at least 10/);
  assert.throws(() => checkPasswordPolicy("x".repeat(1025)), /at most 1024/);
  checkPasswordPolicy("x".repeat(10));
  checkPasswordPolicy("x".repeat(1024));
  // Characters, not UTF-16 units: ten emoji are ten characters.
  checkPasswordPolicy("\u{1F600}".repeat(10));
  assert.throws(() => checkPasswordPolicy("\u{1F600}".repeat(9)), PasswordPolicyError);
});

Deno.test("[auth] hashPassword - refuses a password against policy and never echoes it", async () => {
  await assert.rejects(() => hashPassword("hunter2", FAST), (error: Error) => {
    assert.ok(error instanceof PasswordPolicyError);
    assert.ok(!error.message.includes("hunter2"));
    return true;
  });
});

Deno.test("[auth] hashPassword - invalid iterations option is refused", async () => {
  await assert.rejects(() => hashPassword("correct horse battery", { iterations: 0 }), RangeError);
  await assert.rejects(
    () => hashPassword("correct horse battery", { iterations: 1.5 }),
    RangeError,
  );
});

Deno.test("[auth] dummyVerify - always false, even for a real user's password", async () => {
  assert.equal(await dummyVerify("correct horse battery", FAST), false);
  assert.equal(await dummyVerify("", FAST), false);
  await assert.rejects(() => dummyVerify("x", { iterations: -1 }), RangeError);
});

Deno.test("[auth] timingSafeEqual - equal only for identical bytes", () => {
  const a = new Uint8Array([1, 2, 3, 4]);
  assert.equal(timingSafeEqual(a, new Uint8Array([1, 2, 3, 4])), true);
  assert.equal(timingSafeEqual(a, new Uint8Array([1, 2, 3, 5])), false);
  assert.equal(timingSafeEqual(a, new Uint8Array([0, 2, 3, 4])), false);
  assert.equal(timingSafeEqual(a, new Uint8Array([1, 2, 3])), false);
  assert.equal(timingSafeEqual(a, new Uint8Array([1, 2, 3, 4, 0])), false);
  assert.equal(timingSafeEqual(new Uint8Array(), new Uint8Array()), true);
  assert.equal(timingSafeEqual(new Uint8Array(), new Uint8Array([0])), false);
});

Deno.test("[auth] generatePassword - random and within policy", () => {
  const a = generatePassword();
  assert.match(a, /^[A-Za-z0-9_-]{24}$/);
  assert.notEqual(a, generatePassword());
  checkPasswordPolicy(a);
});
