// Tests for sessions: creation, lookup, expiry and sliding renewal on a fake clock, and ending.

import assert from "node:assert/strict";
import {
  createSession,
  DEFAULT_SESSION_TTL_MS,
  endSession,
  endUserSessions,
  getSession,
  type Session,
} from "../../lib/auth/sessions.ts";
import { setDisabled } from "../../lib/auth/users.ts";
import { sha256Base64Url } from "../../lib/crypto.ts";
import { addUser, withKv } from "./_helpers.ts";

const T0 = Date.UTC(2025, 2, 1, 9, 0, 0);
const HOUR = 60 * 60 * 1000;

Deno.test("[auth] sessions - create returns a 32-byte id and stores only its digest", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const session = await createSession(kv, user, { now: T0 });
    assert.match(session.id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Uint8Array.fromBase64(session.id, { alphabet: "base64url" }).length, 32);
    assert.equal(session.expiresAt, T0 + DEFAULT_SESSION_TTL_MS);
    assert.equal(DEFAULT_SESSION_TTL_MS, 12 * HOUR);

    const digest = await sha256Base64Url(session.id);
    const stored = await kv.get<Session>(["sessions", digest]);
    assert.deepEqual(stored.value, {
      userId: user.id,
      createdAt: T0,
      expiresAt: T0 + 12 * HOUR,
      ttlMs: 12 * HOUR,
    });
    assert.equal((await kv.get(["sessions_by_user", user.id, digest])).value, T0 + 12 * HOUR);
    for await (const entry of kv.list({ prefix: [] })) {
      assert.ok(!JSON.stringify(entry.key).includes(session.id), "raw id must not be a key");
      assert.ok(!JSON.stringify(entry.value).includes(session.id), "raw id must not be a value");
    }
    assert.notEqual((await createSession(kv, user, { now: T0 })).id, session.id);
  }));

Deno.test("[auth] sessions - get returns the user without hash; unknown ids give null", () =>
  withKv(async (kv) => {
    const user = await addUser(kv, { name: "Rita" });
    const { id } = await createSession(kv, user, { now: T0 });
    const found = await getSession(kv, id, T0 + 1000);
    assert.ok(found);
    assert.equal(found.user.id, user.id);
    assert.equal(found.user.name, "Rita");
    assert.equal("passwordHash" in found.user, false);
    assert.equal(found.session.userId, user.id);
    assert.equal(found.renewed, false);

    const other = Uint8Array.fromBase64(id, { alphabet: "base64url" });
    other[0] ^= 1;
    assert.equal(
      await getSession(kv, other.toBase64({ alphabet: "base64url", omitPadding: true })),
      null,
    );
    assert.equal(await getSession(kv, undefined), null);
    assert.equal(await getSession(kv, ""), null);
    assert.equal(await getSession(kv, id + "x"), null);
    assert.equal(await getSession(kv, "x".repeat(10_000)), null);
  }));

Deno.test("[auth] sessions - expire after the TTL on a fake clock", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const { id } = await createSession(kv, user, { now: T0, ttlMs: HOUR });
    assert.ok(await getSession(kv, id, T0 + HOUR - 1));
    // That lookup renewed it (more than a tenth had passed), so expiry moved.
    assert.ok(await getSession(kv, id, T0 + 2 * HOUR - 2));
    assert.equal(await getSession(kv, id, T0 + 3 * HOUR), null);
    // An expired session is gone for good, even for an earlier clock.
    assert.equal(await getSession(kv, id, T0), null);
  }));

Deno.test("[auth] sessions - an unused session expires at exactly createdAt + TTL", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const { id, expiresAt } = await createSession(kv, user, { now: T0, ttlMs: HOUR });
    assert.equal(await getSession(kv, id, expiresAt), null);
  }));

Deno.test("[auth] sessions - sliding renewal writes only after a tenth of the TTL", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const ttlMs = 10 * HOUR;
    const { id } = await createSession(kv, user, { now: T0, ttlMs });
    const digest = await sha256Base64Url(id);
    const stamp = async () => (await kv.get(["sessions", digest])).versionstamp;
    const before = await stamp();

    const early = await getSession(kv, id, T0 + HOUR);
    assert.equal(early?.renewed, false);
    assert.equal(early?.session.expiresAt, T0 + ttlMs);
    assert.equal(await stamp(), before, "no write within the first tenth");

    const later = await getSession(kv, id, T0 + HOUR + 1);
    assert.equal(later?.renewed, true);
    assert.equal(later?.session.expiresAt, T0 + HOUR + 1 + ttlMs);
    assert.notEqual(await stamp(), before);
    assert.equal(
      (await kv.get(["sessions_by_user", user.id, digest])).value,
      T0 + HOUR + 1 + ttlMs,
      "the per-user index carries the new expiry",
    );

    // Used every 5 hours, a 10-hour session stays alive well past its first expiry.
    for (let hours = 6; hours <= 30; hours += 5) {
      assert.ok(await getSession(kv, id, T0 + hours * HOUR), `alive at ${hours} h`);
    }
  }));

Deno.test("[auth] sessions - end one session leaves the others", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const a = await createSession(kv, user);
    const b = await createSession(kv, user);
    await endSession(kv, a.id);
    assert.equal(await getSession(kv, a.id), null);
    assert.ok(await getSession(kv, b.id));
    const index = await Array.fromAsync(kv.list({ prefix: ["sessions_by_user", user.id] }));
    assert.equal(index.length, 1);
    // Ending twice, or ending nonsense, is harmless.
    await endSession(kv, a.id);
    await endSession(kv, "nonsense");
    await endSession(kv, undefined);
  }));

Deno.test("[auth] sessions - end all for one user spares other users", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const other = await addUser(kv);
    const mine = await Promise.all(Array.from({ length: 150 }, () => createSession(kv, user)));
    const theirs = await createSession(kv, other);
    assert.equal(await endUserSessions(kv, user.id), 150);
    for (const session of mine.slice(0, 3)) assert.equal(await getSession(kv, session.id), null);
    assert.equal(await getSession(kv, mine[149].id), null);
    assert.equal((await Array.fromAsync(kv.list({ prefix: ["sessions"] }))).length, 1);
    assert.equal((await getSession(kv, theirs.id))?.user.id, other.id);
    assert.equal(await endUserSessions(kv, user.id), 0);
  }));

Deno.test("[auth] sessions - a disabled or removed user's session gives null", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const user = await addUser(kv);
    const { id } = await createSession(kv, user);
    // Disabled directly in KV, as another process might: the lookup itself must refuse.
    const entry = await kv.get<{ disabled: boolean }>(["users", user.id]);
    await kv.set(["users", user.id], { ...entry.value, disabled: true });
    assert.equal(await getSession(kv, id), null);
    await setDisabled(kv, user.id, false);
    assert.ok(await getSession(kv, id));

    await kv.delete(["users", user.id]);
    assert.equal(await getSession(kv, id), null);
    assert.equal((await Array.fromAsync(kv.list({ prefix: ["sessions"] }))).length, 0);
  }));

Deno.test("[auth] sessions - a TTL under one second is refused", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    await assert.rejects(() => createSession(kv, user, { ttlMs: 0 }), RangeError);
  }));
