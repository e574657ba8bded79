// Two admins turning on each other at the same moment, over HTTP: through the API (disable,
// remove, demote) and the Team page, exactly one change is applied and one enabled admin stays.

import assert from "node:assert/strict";
import { listUsers } from "../../lib/auth/users.ts";
import { startTestServer, type TestServer, type TestUser } from "../_helpers/app.ts";

const ROUNDS = 15;

async function enabledAdmins(server: TestServer) {
  return (await listUsers(server.kv)).filter((u) => u.role === "admin" && !u.disabled);
}

function as(server: TestServer, user: TestUser, path: string, init: RequestInit) {
  const headers = new Headers(init.headers);
  headers.set("cookie", user.cookie);
  headers.set("origin", server.url);
  return fetch(server.url + path, { ...init, headers, redirect: "manual" });
}

const API: Record<string, (id: string) => [string, RequestInit]> = {
  disable: (id) => [`/api/admin/users/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ disabled: true }),
  }],
  remove: (id) => [`/api/admin/users/${id}`, { method: "DELETE" }],
  demote: (id) => [`/api/admin/users/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ role: "agent" }),
  }],
  "disable on the Team page": (id) => ["/team", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ action: "disable", id }).toString(),
  }],
  "remove on the Team page": (id) => ["/team", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ action: "remove", id }).toString(),
  }],
};

for (const [name, request] of Object.entries(API)) {
  Deno.test(`[e2e] last admin: two admins ${name} each other at once, only one change lands and one admin stays`, async () => {
    const server = await startTestServer();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await server.addUser("admin");
        const b = await server.addUser("admin");
        for (const admin of await enabledAdmins(server)) {
          if (admin.id !== a.id && admin.id !== b.id) {
            await server.fetch(`/api/admin/users/${admin.id}`, {
              method: "DELETE",
              headers: { cookie: a.cookie },
            }).then((r) => r.body?.cancel());
          }
        }
        const answers = await Promise.all([
          as(server, a, ...request(b.id)),
          as(server, b, ...request(a.id)),
        ]);
        // Applied: 200/204, or the Team page's 303 back to itself. Refused: 409 in the commit,
        // or 401/403/303 to /login when the other admin's change landed first and ended this
        // one's session or admin role before the request was checked.
        const outcomes = await Promise.all(answers.map(async (res) => {
          const text = await res.text();
          const location = res.headers.get("location") ?? "";
          if (res.status === 409) assert.match(text, /only enabled admin/);
          if ([200, 204].includes(res.status) || location.startsWith("/team?done=")) {
            return "applied";
          }
          assert.ok(
            [401, 403, 409].includes(res.status) || location.startsWith("/login"),
            `round ${round}: ${res.status} ${location}`,
          );
          return "refused";
        }));
        assert.deepEqual(outcomes.sort(), ["applied", "refused"], `round ${round}`);
        assert.equal((await enabledAdmins(server)).length, 1, `round ${round}: one admin stays`);
      }
    } finally {
      await server.close();
    }
  });
}

Deno.test("[e2e] PATCH /api/admin/users/:id - role changes, and an admin cannot demote themselves", async () => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    const promote = await server.fetch(`/api/admin/users/${agent.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "admin" }),
    });
    assert.equal(promote.status, 200);
    assert.equal((await promote.json()).user.role, "admin");
    const bad = await server.fetch(`/api/admin/users/${agent.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "owner" }),
    });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /role must be admin or agent/);
    const self = await server.fetch(`/api/admin/users/${server.user.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ role: "agent" }),
    });
    assert.equal(self.status, 409);
    await self.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] Team page: a 3000-character id in the form is nobody, not a 500", async () => {
  const server = await startTestServer();
  try {
    const id = "0".repeat(3000);
    // Disabling nobody is the page again at 404; removing nobody ends where removing would.
    for (const [action, status] of [["disable", 404], ["enable", 404], ["remove", 303]] as const) {
      const res = await server.fetch("/team", {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ action, id }),
      });
      await res.body?.cancel();
      assert.equal(res.status, status, action);
    }
    const errors = server.logs.filter((line) => JSON.parse(line).level === "error");
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});
