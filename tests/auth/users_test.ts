// Tests for users in KV: creation, uniqueness, lookup, listing, status changes and removal.

import assert from "node:assert/strict";
import {
  countUsers,
  createUser,
  ensureAdmin,
  getUser,
  getUserByEmail,
  listUsers,
  recordLogin,
  removeUser,
  setDisabled,
  setPassword,
} from "../../lib/auth/users.ts";
import { createSession, getSession } from "../../lib/auth/sessions.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import {
  DuplicateEmailError,
  InvalidUserError,
  LastAdminError,
  PasswordPolicyError,
  UserNotFoundError,
} from "../../lib/auth/errors.ts";
import { addUser, FAST, withKv } from "./_helpers.ts";

Deno.test("[auth] users - create stores a normalised, enabled user without exposing the hash", () =>
  withKv(async (kv) => {
    const created = await createUser(kv, {
      email: "  Ana.Lopez@Example.COM ",
      name: " Ana López ",
      role: "agent",
      password: "correct horse battery",
    }, { ...FAST, now: Date.UTC(2025, 0, 2, 3, 4, 5) });
    assert.equal(created.email, "ana.lopez@example.com");
    assert.equal(created.name, "Ana López");
    assert.equal(created.role, "agent");
    assert.equal(created.disabled, false);
    assert.equal(created.createdAt, "2025-01-02T03:04:05.000Z");
    assert.equal(created.lastLoginAt, null);
    assert.match(created.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.equal("passwordHash" in created, false);

    const stored = await getUser(kv, created.id);
    assert.ok(stored);
    assert.equal(await verifyPassword("correct horse battery", stored.passwordHash), true);
    assert.equal((await kv.get(["users_by_email", "ana.lopez@example.com"])).value, created.id);
    assert.equal(await countUsers(kv), 1);
  }));

Deno.test("[auth] users - duplicate email in another case throws DuplicateEmailError", () =>
  withKv(async (kv) => {
    await addUser(kv, { email: "sam@example.com" });
    await assert.rejects(() => addUser(kv, { email: "SAM@example.com " }), DuplicateEmailError);
    assert.equal(await countUsers(kv), 1);
  }));

Deno.test("[auth] users - concurrent creates of one email: exactly one wins", () =>
  withKv(async (kv) => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => addUser(kv, { email: "race@example.com" })),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof DuplicateEmailError);
    }
    assert.equal(await countUsers(kv), 1);
  }));

Deno.test("[auth] users - invalid input is refused with typed errors", () =>
  withKv(async (kv) => {
    await assert.rejects(() => addUser(kv, { email: "not-an-email" }), InvalidUserError);
    await assert.rejects(() => addUser(kv, { email: "a b@example.com" }), InvalidUserError);
    await assert.rejects(() => addUser(kv, { name: "   " }), InvalidUserError);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(() => addUser(kv, { role: "owner" as any }), /admin, agent/);
    await assert.rejects(() => addUser(kv, { password: "short" }), PasswordPolicyError);
    assert.equal(await countUsers(kv), 0);
  }));

Deno.test("[auth] users - lookup by email ignores case and spaces", () =>
  withKv(async (kv) => {
    const created = await addUser(kv, { email: "Kim@Example.com" });
    assert.equal((await getUserByEmail(kv, "kim@example.com"))?.id, created.id);
    assert.equal((await getUserByEmail(kv, " KIM@EXAMPLE.COM"))?.id, created.id);
    assert.equal(await getUserByEmail(kv, "kim@example.org"), null);
    assert.equal(await getUserByEmail(kv, ""), null);
    assert.equal(await getUser(kv, "01NOSUCHUSER0000000000000"), null);
  }));

Deno.test("[auth] users - list in creation order, without hashes", () =>
  withKv(async (kv) => {
    const first = await createUser(kv, {
      email: "b@example.com",
      name: "B",
      role: "admin",
      password: "correct horse battery",
    }, { ...FAST, now: 1_000 });
    const second = await createUser(kv, {
      email: "a@example.com",
      name: "A",
      role: "agent",
      password: "correct horse battery",
    }, { ...FAST, now: 2_000 });
    const users = await listUsers(kv);
    assert.deepEqual(users.map((u) => u.id), [first.id, second.id]);
    for (const user of users) assert.equal("passwordHash" in user, false);
  }));

Deno.test("[auth] users - setPassword replaces the hash and ends sessions", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    const session = await createSession(kv, user);
    await setPassword(kv, user.id, "a brand new passphrase", FAST);
    const stored = await getUser(kv, user.id);
    assert.equal(await verifyPassword("a brand new passphrase", stored!.passwordHash), true);
    assert.equal(await verifyPassword("correct horse battery", stored!.passwordHash), false);
    assert.equal(await getSession(kv, session.id), null);

    const kept = await createSession(kv, user);
    await setPassword(kv, user.id, "yet another passphrase", { ...FAST, endSessions: false });
    assert.ok(await getSession(kv, kept.id));

    await assert.rejects(() => setPassword(kv, user.id, "short", FAST), PasswordPolicyError);
    await assert.rejects(
      () => setPassword(kv, "01NOSUCHUSER0000000000000", "long enough pw", FAST),
      UserNotFoundError,
    );
  }));

Deno.test("[auth] users - disable ends sessions, enable lets the user back in", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const agent = await addUser(kv);
    const session = await createSession(kv, agent);
    assert.ok(await getSession(kv, session.id));

    const disabled = await setDisabled(kv, agent.id, true);
    assert.equal(disabled.disabled, true);
    assert.equal((await getUser(kv, agent.id))?.disabled, true);
    assert.equal(await getSession(kv, session.id), null);
    const index = await Array.fromAsync(kv.list({ prefix: ["sessions_by_user", agent.id] }));
    assert.equal(index.length, 0);

    const enabled = await setDisabled(kv, agent.id, false);
    assert.equal(enabled.disabled, false);
    const fresh = await createSession(kv, agent);
    assert.equal((await getSession(kv, fresh.id))?.user.id, agent.id);
  }));

Deno.test("[auth] users - remove frees the email and ends sessions", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const agent = await addUser(kv, { email: "leaving@example.com" });
    const sessions = await Promise.all([createSession(kv, agent), createSession(kv, agent)]);

    assert.equal(await removeUser(kv, agent.id), true);
    assert.equal(await getUser(kv, agent.id), null);
    assert.equal(await getUserByEmail(kv, "leaving@example.com"), null);
    for (const session of sessions) assert.equal(await getSession(kv, session.id), null);
    const leftovers = await Array.fromAsync(kv.list({ prefix: ["sessions_by_user", agent.id] }));
    assert.equal(leftovers.length, 0);
    assert.equal(await removeUser(kv, agent.id), false);

    const again = await addUser(kv, { email: "leaving@example.com" });
    assert.notEqual(again.id, agent.id);
  }));

Deno.test("[auth] users - the last enabled admin cannot be disabled or removed", () =>
  withKv(async (kv) => {
    const admin = await addUser(kv, { role: "admin" });
    await assert.rejects(() => setDisabled(kv, admin.id, true), LastAdminError);
    await assert.rejects(() => removeUser(kv, admin.id), LastAdminError);
    const second = await addUser(kv, { role: "admin" });
    await setDisabled(kv, admin.id, true);
    await assert.rejects(() => removeUser(kv, second.id), LastAdminError);
    assert.equal(await removeUser(kv, admin.id), true);
  }));

Deno.test("[auth] users - recordLogin stamps the time", () =>
  withKv(async (kv) => {
    const user = await addUser(kv);
    await recordLogin(kv, user.id, Date.UTC(2025, 5, 1));
    assert.equal((await getUser(kv, user.id))?.lastLoginAt, "2025-06-01T00:00:00.000Z");
    await assert.rejects(() => recordLogin(kv, "01NOSUCHUSER0000000000000"), UserNotFoundError);
  }));

Deno.test("[auth] ensureAdmin - creates, then leaves alone, then updates what differs", () =>
  withKv(async (kv) => {
    const created = await ensureAdmin(
      kv,
      "Boss@Example.com",
      "first admin password",
      undefined,
      FAST,
    );
    assert.equal(created.action, "created");
    assert.equal(created.user.role, "admin");
    assert.equal(created.user.email, "boss@example.com");
    assert.equal(created.user.name, "Admin");

    const session = await createSession(kv, created.user);
    const same = await ensureAdmin(kv, "boss@example.com", "first admin password", undefined, FAST);
    assert.equal(same.action, "unchanged");
    assert.ok(await getSession(kv, session.id), "a restart with the same password keeps sessions");

    const changed = await ensureAdmin(
      kv,
      "boss@example.com",
      "second admin password",
      "Boss",
      FAST,
    );
    assert.equal(changed.action, "updated");
    assert.equal(changed.user.id, created.user.id);
    assert.equal(changed.user.name, "Boss");
    const stored = await getUser(kv, created.user.id);
    assert.equal(await verifyPassword("second admin password", stored!.passwordHash), true);
    assert.equal(await getSession(kv, session.id), null, "a new password ends old sessions");
    assert.equal(await countUsers(kv), 1);
  }));

Deno.test("[auth] ensureAdmin - promotes and re-enables an existing agent", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const agent = await addUser(kv, { email: "ops@example.com", password: "ops password 123" });
    await setDisabled(kv, agent.id, true);
    const result = await ensureAdmin(kv, "ops@example.com", "ops password 123", undefined, FAST);
    assert.equal(result.action, "updated");
    assert.equal(result.user.role, "admin");
    assert.equal(result.user.disabled, false);
    assert.equal(result.user.name, "ops");
  }));
