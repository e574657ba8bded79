import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import { countUsers, getUserByEmail, listUsers } from "../../lib/auth/users.ts";
import { bootstrapAccounts, BootstrapError, DEMO_ADMIN_EMAIL } from "../../lib/auth/bootstrap.ts";
import { findRunningServer, startHeartbeat, writeHeartbeat } from "../../lib/server_lock.ts";
import { createTestUser } from "../_helpers/app.ts";

const FAST = { iterations: 1_000 };

async function withKv(body: (kv: Deno.Kv) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await body(kv);
  } finally {
    kv.close();
  }
}

Deno.test("[bootstrap] demo mode with no users creates admin@leadline.local with a random password", async () => {
  await withKv(async (kv) => {
    const outcome = await bootstrapAccounts(kv, { admin: null, demo: true }, FAST);
    assert.equal(outcome.kind, "demo_admin_created");
    if (outcome.kind !== "demo_admin_created") return;
    assert.equal(outcome.email, DEMO_ADMIN_EMAIL);
    assert.ok(outcome.password.length >= 20);
    const admin = await getUserByEmail(kv, DEMO_ADMIN_EMAIL);
    assert.equal(admin?.role, "admin");
    assert.ok(await verifyPassword(outcome.password, admin!.passwordHash));
    assert.equal(JSON.stringify(admin).includes(outcome.password), false, "stored only hashed");

    const again = await bootstrapAccounts(kv, { admin: null, demo: true }, FAST);
    assert.deepEqual(again, { kind: "users_exist", count: 1 }, "the next start prints nothing");
  });
  await withKv(async (kv) => {
    const a = await bootstrapAccounts(kv, { admin: null, demo: true }, FAST);
    await withKv(async (kv2) => {
      const b = await bootstrapAccounts(kv2, { admin: null, demo: true }, FAST);
      assert.notEqual(
        (a as { password: string }).password,
        (b as { password: string }).password,
        "a new random password each time",
      );
    });
  });
});

Deno.test("[bootstrap] outside demo mode with no user and no variables, start-up is refused", async () => {
  await withKv(async (kv) => {
    await assert.rejects(
      () => bootstrapAccounts(kv, { admin: null, demo: false }, FAST),
      (err: unknown) => {
        assert.ok(err instanceof BootstrapError);
        assert.match(err.message, /LEADLINE_ADMIN_EMAIL and\s+LEADLINE_ADMIN_PASSWORD/);
        assert.match(err.message, /deno task user:add/);
        return true;
      },
    );
    assert.equal(await countUsers(kv), 0);

    await createTestUser(kv, "agent");
    const outcome = await bootstrapAccounts(kv, { admin: null, demo: false }, FAST);
    assert.deepEqual(outcome, { kind: "users_exist", count: 1 });
  });
});

Deno.test("[bootstrap] LEADLINE_ADMIN_* creates the admin, then updates it, in either mode", async () => {
  await withKv(async (kv) => {
    const admin = { email: "Owner@Example.com", password: "first long password" };
    const created = await bootstrapAccounts(kv, { admin, demo: false }, FAST);
    assert.deepEqual(created, {
      kind: "admin_from_env",
      email: "owner@example.com",
      action: "created",
    });
    const unchanged = await bootstrapAccounts(kv, { admin, demo: false }, FAST);
    assert.equal((unchanged as { action: string }).action, "unchanged");

    const rotated = await bootstrapAccounts(
      kv,
      { admin: { ...admin, password: "second long password" }, demo: true },
      FAST,
    );
    assert.equal((rotated as { action: string }).action, "updated");
    const user = await getUserByEmail(kv, "owner@example.com");
    assert.ok(await verifyPassword("second long password", user!.passwordHash));
    assert.equal((await listUsers(kv)).length, 1, "no demo admin beside it");
  });
});

Deno.test("[config] account variables: both admin variables or neither, validated, named", () => {
  const base = loadConfig({});
  assert.equal(base.admin, null);
  assert.equal(base.sessionTtlMs, 12 * 60 * 60 * 1000);
  assert.equal(base.trustProxy, false);

  const set = loadConfig({
    LEADLINE_ADMIN_EMAIL: "boss@example.com",
    LEADLINE_ADMIN_PASSWORD: "a very long secret",
    SESSION_TTL_HOURS: "8",
    TRUST_PROXY: "true",
  });
  assert.deepEqual(set.admin, { email: "boss@example.com", password: "a very long secret" });
  assert.equal(set.sessionTtlMs, 8 * 60 * 60 * 1000);
  assert.equal(set.trustProxy, true);

  const cases: [Record<string, string>, string][] = [
    [{ LEADLINE_ADMIN_EMAIL: "boss@example.com" }, "LEADLINE_ADMIN_PASSWORD"],
    [{ LEADLINE_ADMIN_PASSWORD: "a very long secret" }, "LEADLINE_ADMIN_EMAIL"],
    [
      { LEADLINE_ADMIN_EMAIL: "not an email", LEADLINE_ADMIN_PASSWORD: "a very long secret" },
      "LEADLINE_ADMIN_EMAIL",
    ],
    [
      { LEADLINE_ADMIN_EMAIL: "boss@example.com", LEADLINE_ADMIN_PASSWORD: "tiny-pw" },
      "LEADLINE_ADMIN_PASSWORD",
    ],
    [{ SESSION_TTL_HOURS: "0" }, "SESSION_TTL_HOURS"],
    [{ SESSION_TTL_HOURS: "two" }, "SESSION_TTL_HOURS"],
    [{ TRUST_PROXY: "maybe" }, "TRUST_PROXY"],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError, JSON.stringify(env));
      assert.equal(err.variable, variable);
      assert.equal(err.message.includes("tiny-pw"), false, "the password is never echoed");
      return true;
    });
  }
});

Deno.test("[server lock] a fresh heartbeat marks the server running; a stale one does not", async () => {
  await withKv(async (kv) => {
    assert.equal(await findRunningServer(kv), null);
    const now = Date.now();
    await writeHeartbeat(kv, { pid: 4242, url: "http://127.0.0.1:8000/", at: now });
    assert.equal((await findRunningServer(kv, now + 1_000))?.pid, 4242);
    assert.equal(
      await findRunningServer(kv, now + 60_000),
      null,
      "a crashed server's beat ages out",
    );

    const handle = await startHeartbeat(kv, { pid: 7, url: "http://127.0.0.1:1/" });
    assert.equal((await findRunningServer(kv))?.pid, 7);
    await handle.stop();
    assert.equal(await findRunningServer(kv), null, "a clean stop removes it");
  });
});
