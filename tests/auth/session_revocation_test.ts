// Ended sessions are visible to long-lived work (event streams): a revocation counter moves in the
// same commit as every early end, and a read-only check says which sessions are over.

import assert from "node:assert/strict";
import { sessionsRevokedKey } from "../../lib/auth/keys.ts";
import {
  createSession,
  endSession,
  findEndedSessions,
  getSession,
  sessionIdHash,
} from "../../lib/auth/sessions.ts";
import { removeUser, setDisabled, setPassword } from "../../lib/auth/users.ts";
import { addUser, FAST, withKv } from "./_helpers.ts";

async function revocations(kv: Deno.Kv): Promise<bigint> {
  return (await kv.get<Deno.KvU64>(sessionsRevokedKey())).value?.value ?? 0n;
}

Deno.test("[sessions] sign-out, disable, removal and a new password each move the revocation counter", async () => {
  await withKv(async (kv) => {
    const admin = await addUser(kv, { role: "admin" });
    const steps: [string, (userId: string, sessionId: string) => Promise<unknown>][] = [
      ["sign-out", (_, sessionId) => endSession(kv, sessionId)],
      ["disable", (userId) => setDisabled(kv, userId, true)],
      ["new password", (userId) => setPassword(kv, userId, "another long password", FAST)],
      ["removal", (userId) => removeUser(kv, userId)],
    ];
    assert.ok(admin);
    for (const [what, end] of steps) {
      const user = await addUser(kv);
      const session = await createSession(kv, user);
      const before = await revocations(kv);
      await end(user.id, session.id);
      assert.ok(await revocations(kv) > before, what);
      assert.equal(await getSession(kv, session.id), null, `${what} ended the session`);
    }
  });
});

Deno.test("[sessions] findEndedSessions names signed-out, expired, disabled and removed sessions, and extends none", async () => {
  await withKv(async (kv) => {
    const now = Date.now();
    const live = await addUser(kv);
    const disabled = await addUser(kv);
    const removed = await addUser(kv);
    const admin = await addUser(kv, { role: "admin" });
    assert.ok(admin);
    const sessions = {
      live: await createSession(kv, live, { now }),
      expired: await createSession(kv, live, { ttlMs: 1000, now: now - 5000 }),
      signedOut: await createSession(kv, live, { now }),
      disabled: await createSession(kv, disabled, { now }),
      removed: await createSession(kv, removed, { now }),
    };
    await endSession(kv, sessions.signedOut.id);
    // Only the user record changes here, as another instance might have done it: the check
    // reads the user, not just the session.
    await kv.set(["users", disabled.id], {
      ...(await kv.get(["users", disabled.id])).value!,
      disabled: true,
    });
    await kv.delete(["users", removed.id]);
    const hashes = Object.fromEntries(
      await Promise.all(
        Object.entries(sessions).map(async ([name, s]) => [name, (await sessionIdHash(s.id))!]),
      ),
    );
    // More than one getMany's worth of keys, with the same session twice.
    const asked = [...Object.values(hashes), ...Array(12).fill(hashes.live)];
    const ended = await findEndedSessions(kv, asked, now);
    assert.deepEqual(
      Object.keys(hashes).filter((name) => ended.has(hashes[name])).sort(),
      ["disabled", "expired", "removed", "signedOut"],
    );
    const stored = await kv.get<{ expiresAt: number }>(["sessions", hashes.live]);
    assert.equal(stored.value?.expiresAt, sessions.live.expiresAt, "checking extends nothing");
    assert.equal(await sessionIdHash("not a session id"), null);
  });
});
