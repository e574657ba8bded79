import assert from "node:assert/strict";
import { createSession, getSession } from "../../lib/auth/sessions.ts";
import { getUserByEmail } from "../../lib/auth/users.ts";
import { startTestServer } from "../_helpers/app.ts";

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  };
}

Deno.test("[e2e] Team page: an admin lists, adds, disables, enables and removes an agent", async () => {
  const server = await startTestServer();
  try {
    const page = await server.fetch("/team");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`data-user-email="${server.user.email}"`));
    assert.match(html, /<form method="post" action="\/team"/);

    const added = await server.fetch(
      "/team",
      form({
        action: "add",
        email: "Sam@Example.com",
        name: "Sam Seller",
        role: "agent",
        password: "a long secret",
      }),
    );
    await added.body?.cancel();
    assert.equal(added.status, 303);
    assert.equal(added.headers.get("location"), "/team?done=added");
    const sam = await getUserByEmail(server.kv, "sam@example.com");
    assert.equal(sam?.role, "agent");
    assert.match(await (await server.fetch("/team?done=added")).text(), /Team member added\./);

    // Sam signs in, then the admin disables Sam: Sam's session ends at once.
    const login = await fetch(server.url + "/login", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "sam@example.com", password: "a long secret" }),
    });
    await login.body?.cancel();
    assert.equal(login.status, 303);
    const samSession = login.headers.getSetCookie()[0].split(";")[0].split("=")[1];
    assert.ok(await getSession(server.kv, samSession));

    const disabled = await server.fetch("/team", form({ action: "disable", id: sam!.id }));
    await disabled.body?.cancel();
    assert.equal(disabled.headers.get("location"), "/team?done=disabled");
    assert.equal(await getSession(server.kv, samSession), null, "disabling ends sessions");
    assert.equal((await getUserByEmail(server.kv, "sam@example.com"))?.disabled, true);

    const enabled = await server.fetch("/team", form({ action: "enable", id: sam!.id }));
    await enabled.body?.cancel();
    assert.equal((await getUserByEmail(server.kv, "sam@example.com"))?.disabled, false);

    const removed = await server.fetch("/team", form({ action: "remove", id: sam!.id }));
    await removed.body?.cancel();
    assert.equal(removed.headers.get("location"), "/team?done=removed");
    assert.equal(await getUserByEmail(server.kv, "sam@example.com"), null);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] Team page: bad input re-renders with the reason; an admin cannot remove themself", async () => {
  const server = await startTestServer();
  try {
    const short = await server.fetch(
      "/team",
      form({ action: "add", email: "x@example.com", name: "X", role: "agent", password: "short" }),
    );
    assert.equal(short.status, 400);
    const html = await short.text();
    assert.match(html, /needs at least 10/);
    assert.match(html, /value="x@example.com"/, "the form keeps what was typed");
    assert.doesNotMatch(html, /value="short"/, "but never the password");

    const duplicate = await server.fetch(
      "/team",
      form({
        action: "add",
        email: server.user.email,
        name: "Again",
        role: "agent",
        password: "a long secret",
      }),
    );
    await duplicate.body?.cancel();
    assert.equal(duplicate.status, 409);

    const self = await server.fetch("/team", form({ action: "remove", id: server.user.id }));
    assert.equal(self.status, 400);
    assert.match(await self.text(), /cannot disable or remove your own account/);
    assert.ok(await getUserByEmail(server.kv, server.user.email));
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] a name with markup is shown as text on the Team page", async () => {
  const server = await startTestServer();
  try {
    await server.addUser("agent", { name: "<img src=x onerror=alert(1)>" });
    const html = await (await server.fetch("/team")).text();
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)>/);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] admin users API: list, create, patch, delete; agents get 403", async () => {
  const server = await startTestServer();
  try {
    const json = { "content-type": "application/json" };
    const created = await server.fetch("/api/admin/users", {
      method: "POST",
      headers: json,
      body: JSON.stringify({
        email: "ann@example.com",
        name: "Ann",
        role: "agent",
        password: "ann's long pass",
      }),
    });
    assert.equal(created.status, 201);
    const { user } = await created.json();
    assert.equal(user.email, "ann@example.com");
    assert.equal("passwordHash" in user, false, "no hash leaves the server");

    const list = await (await server.fetch("/api/admin/users")).json();
    assert.deepEqual(
      list.users.map((u: { email: string }) => u.email).sort(),
      [
        "ann@example.com",
        server.user.email,
      ].sort(),
    );
    assert.equal(JSON.stringify(list).includes("pbkdf2"), false);

    const bad = await server.fetch("/api/admin/users", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email: "nope", name: "N", role: "agent", password: "long enough!" }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /Cannot use email/);

    const patched = await server.fetch(`/api/admin/users/${user.id}`, {
      method: "PATCH",
      headers: json,
      body: JSON.stringify({ disabled: true }),
    });
    assert.equal(patched.status, 200);
    assert.equal((await patched.json()).user.disabled, true);

    const missing = await server.fetch("/api/admin/users/01HNOSUCHUSER0000000000000", {
      method: "DELETE",
    });
    await missing.body?.cancel();
    assert.equal(missing.status, 404);

    const deleted = await server.fetch(`/api/admin/users/${user.id}`, { method: "DELETE" });
    await deleted.body?.cancel();
    assert.equal(deleted.status, 204);

    const self = await server.fetch(`/api/admin/users/${server.user.id}`, { method: "DELETE" });
    await self.body?.cancel();
    assert.equal(self.status, 409);

    const agent = await server.addUser("agent");
    const denied = await fetch(server.url + "/api/admin/users", {
      headers: { cookie: agent.cookie },
    });
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).error, "Only admins may do this");
    const page = await fetch(server.url + "/team", { headers: { cookie: agent.cookie } });
    assert.equal(page.status, 403);
    assert.match(await page.text(), /Admins only/);
    const home = await fetch(server.url + "/", { headers: { cookie: agent.cookie } });
    assert.equal(home.status, 200, "agents do see the dashboard");
    assert.doesNotMatch(await home.text(), /href="\/team"/, "but no Team link");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] a session in use slides: the cookie is sent again with a fresh Max-Age", async () => {
  const server = await startTestServer();
  try {
    const ttlMs = 12 * 60 * 60 * 1000;
    // Started two hours ago: past a tenth of its life, so this request extends it.
    const old = await createSession(server.kv, server.user, {
      ttlMs,
      now: Date.now() - 2 * 60 * 60 * 1000,
    });
    const res = await fetch(server.url + "/", {
      headers: { cookie: `leadline_session=${old.id}` },
    });
    await res.body?.cancel();
    assert.equal(res.status, 200);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("leadline_session="));
    assert.ok(cookie, "the cookie is renewed");
    assert.match(cookie, new RegExp(`^leadline_session=${old.id}; `));
    assert.match(cookie, /Max-Age=43200/);
    const found = await getSession(server.kv, old.id);
    assert.ok(found!.session.expiresAt > old.expiresAt, "KV's expiry moved too");

    const fresh = await server.fetch("/");
    await fresh.body?.cancel();
    assert.equal(fresh.headers.getSetCookie().length, 0, "a fresh session is not rewritten");
  } finally {
    await server.close();
  }
});
