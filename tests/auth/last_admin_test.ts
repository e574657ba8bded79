// The rule "never leave no enabled admin" holds inside the commit that would break it: admins who
// disable, remove or demote each other at the same moment always leave one enabled admin.

import assert from "node:assert/strict";
import { LastAdminError, UserNotFoundError } from "../../lib/auth/errors.ts";
import type { PublicUser } from "../../lib/auth/model.ts";
import { getUser, listUsers, removeUser, setDisabled, setRole } from "../../lib/auth/users.ts";
import { addUser, withKv } from "./_helpers.ts";

const ROUNDS = 40;

type Change = (kv: Deno.Kv, id: string) => Promise<unknown>;

const CHANGES: Record<string, Change> = {
  disable: (kv, id) => setDisabled(kv, id, true),
  remove: (kv, id) => removeUser(kv, id),
  "demote to agent": (kv, id) => setRole(kv, id, "agent"),
};

async function enabledAdmins(kv: Deno.Kv): Promise<PublicUser[]> {
  return (await listUsers(kv)).filter((u) => u.role === "admin" && !u.disabled);
}

/** Two admins do `first` and `second` to each other at once, `ROUNDS` times over. */
async function race(first: Change, second: Change) {
  await withKv(async (kv) => {
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = [await addUser(kv, { role: "admin" }), await addUser(kv, { role: "admin" })];
      // Admins left from earlier rounds would make the rule easy: take them out first.
      for (const admin of await enabledAdmins(kv)) {
        if (admin.id !== a.id && admin.id !== b.id) await removeUser(kv, admin.id);
      }
      const results = await Promise.allSettled([first(kv, b.id), second(kv, a.id)]);
      const refused = results.filter((r) => r.status === "rejected");
      for (const r of refused) {
        assert.ok(r.reason instanceof LastAdminError, `refused with ${r.reason}`);
      }
      assert.equal(refused.length, 1, `round ${round}: exactly one of the two is refused`);
      assert.equal(
        (await enabledAdmins(kv)).length,
        1,
        `round ${round}: one enabled admin remains`,
      );
    }
  });
}

for (const [firstName, first] of Object.entries(CHANGES)) {
  for (const [secondName, second] of Object.entries(CHANGES)) {
    Deno.test(`[auth] last admin - two admins ${firstName} / ${secondName} each other at once: one enabled admin remains`, () =>
      race(first, second));
  }
}

Deno.test("[auth] last admin - with three admins, two can be disabled at once", () =>
  withKv(async (kv) => {
    const admins = [
      await addUser(kv, { role: "admin" }),
      await addUser(kv, { role: "admin" }),
      await addUser(kv, { role: "admin" }),
    ];
    await Promise.all([setDisabled(kv, admins[0].id, true), setDisabled(kv, admins[1].id, true)]);
    assert.deepEqual((await enabledAdmins(kv)).map((u) => u.id), [admins[2].id]);
    await assert.rejects(() => setRole(kv, admins[2].id, "agent"), LastAdminError);
    await assert.rejects(
      () => removeUser(kv, admins[2].id),
      /Cannot remove .*: it is the only enabled admin/,
    );
  }));

Deno.test("[auth] setRole - changes the role, refuses unknown roles and ids", () =>
  withKv(async (kv) => {
    await addUser(kv, { role: "admin" });
    const agent = await addUser(kv);
    assert.equal((await setRole(kv, agent.id, "admin")).role, "admin");
    assert.equal((await getUser(kv, agent.id))?.role, "admin");
    assert.equal((await setRole(kv, agent.id, "agent")).role, "agent");
    // deno-lint-ignore no-explicit-any
    await assert.rejects(() => setRole(kv, agent.id, "owner" as any), /Cannot use role "owner"/);
    await assert.rejects(
      () => setRole(kv, "01NOSUCHUSER00000000000000", "admin"),
      UserNotFoundError,
    );
  }));

Deno.test("[auth] users - ids that are not ULIDs are nobody and never reach KV", () =>
  withKv(async (kv) => {
    const long = "0".repeat(3000);
    assert.equal(await getUser(kv, long), null);
    assert.equal(await removeUser(kv, long), false);
    await assert.rejects(() => setDisabled(kv, long, true), UserNotFoundError);
    await assert.rejects(() => setRole(kv, long, "agent"), UserNotFoundError);
  }));
