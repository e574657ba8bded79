// Ids in URLs are checked before they reach KV: a malformed or oversized id (KV keys are limited to
// 2 KiB) answers 404, JSON for the API and the 404 page for pages, on every route with an id and
// for every method, never 500.

import assert from "node:assert/strict";
import { isApiPath } from "../../lib/web/server.ts";
import {
  accessFor,
  allowedMethods,
  loadRouteTree,
  routeAccess,
  routeMethodAccess,
  routeParams,
} from "../../lib/web/fs_routes.ts";
import { startTestServer } from "../_helpers/app.ts";

const ROUTES_DIR = new URL("../../routes/", import.meta.url);

const LONG_ID = "0".repeat(3000);
const BAD_IDS = [
  LONG_ID,
  "1".repeat(3000),
  "A".repeat(3000),
  "01hzzzzzzzzzzzzzzzzzzzzzzz", // a ULID in lower case
  "01HZZZZZZZZZZZZZZZZZZZZZZZZ", // 27 characters
  "x",
  "a..b",
  "%2F",
  "%00",
  "%ZZ",
];

Deno.test("[e2e] ids: a malformed or 3000-character id answers 404 on every id route and method", async (t) => {
  const server = await startTestServer();
  try {
    const tree = await loadRouteTree(ROUTES_DIR);
    const withIds = tree.routes.filter((r) => r.pattern.includes(":"));
    const patterns = withIds.map((r) => r.pattern).sort();
    for (
      const expected of [
        "/api/admin/pages/:pageId",
        "/api/admin/users/:id",
        "/api/leads/:id",
        "/api/leads/:id/retry",
        "/api/leads/:id/status",
        "/leads/:id",
      ]
    ) assert.ok(patterns.includes(expected), `${expected} is among the id routes`);
    for (const route of withIds) {
      for (const method of [...allowedMethods(route.module)]) {
        await t.step(`${method} ${route.pattern}`, async () => {
          for (const id of BAD_IDS) {
            const path = route.pattern.replace(/:\w+/, id);
            const form = route.pattern.endsWith("/status") || route.pattern.endsWith("/retry");
            const res = await server.fetch(path, {
              method,
              headers: {
                accept: "text/html",
                "content-type": form ? "application/x-www-form-urlencoded" : "application/json",
              },
              body: ["GET", "HEAD"].includes(method)
                ? undefined
                : form
                ? "status=won"
                : '{"status":"won","disabled":true}',
              redirect: "manual",
            });
            const text = await res.text();
            const what = `${method} ${route.pattern} with ${id.slice(0, 30)}`;
            assert.equal(res.status, 404, `${what}: ${text.slice(0, 200)}`);
            if (method === "HEAD") continue;
            if (isApiPath(route.pattern)) {
              assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
              assert.equal(JSON.parse(text).error, "Not found");
            } else {
              assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
              assert.match(text, /Page not found/);
            }
          }
        });
      }
    }
    const errors = server.logs.filter((line) => JSON.parse(line).level === "error");
    assert.deepEqual(errors, [], "no request ended in an unhandled error");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] ids: well-formed ids of nothing still get each route's own answer", async () => {
  const server = await startTestServer();
  try {
    const unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    const lead = await server.fetch(`/api/leads/${unknown}`);
    assert.equal(lead.status, 404);
    assert.match((await lead.json()).error, /No lead has the id/);
    const page = await server.fetch(`/leads/${unknown}`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 404);
    assert.match(await page.text(), /Lead not found/);
    const user = await server.fetch(`/api/admin/users/${unknown}`);
    assert.equal(user.status, 404);
    assert.match((await user.json()).error, /No user has id/);
    const self = await server.fetch(`/api/admin/users/${server.user.id}`);
    assert.equal(self.status, 200);
    assert.equal((await self.json()).user.email, server.user.email);
    const pageId = await server.fetch("/api/admin/pages/1234567890", { method: "DELETE" });
    assert.equal(pageId.status, 404);
    assert.match((await pageId.json()).error, /was not added in settings/);
  } finally {
    await server.close();
  }
});

Deno.test("[routes] a route must check each URL parameter and declare a known access level", () => {
  const handler = { GET: () => new Response("ok") };
  assert.throws(
    () => routeParams("api/things/[id].ts", "/api/things/:id", { handler }),
    /URL parameter "id" but no check for it/,
  );
  assert.throws(
    () =>
      routeParams("api/things/[id].ts", "/api/things/:id", {
        handler,
        params: { id: () => true, other: () => true },
      }),
    /checks the parameter "other"/,
  );
  const check = (id: string) => id === "1";
  assert.deepEqual(
    routeParams("api/things/[id].ts", "/api/things/:id", { handler, params: { id: check } }),
    { id: check },
  );
  assert.equal(routeAccess("x.ts", { handler }), "user", "private unless declared");
  assert.equal(routeAccess("x.ts", { handler, access: "admin" }), "admin");
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => routeAccess("x.ts", { handler, access: "Admin" as any }),
    /access "Admin": it must be one of public, user, admin/,
  );
});

Deno.test("[routes] methodAccess: one method may need more than the route; typos stop the server", () => {
  const handler = { GET: () => new Response(), DELETE: () => new Response() };
  const declared = routeMethodAccess("x.ts", { handler, methodAccess: { DELETE: "admin" } });
  const route = { access: "user" as const, methodAccess: declared };
  assert.equal(accessFor(route, "DELETE"), "admin");
  assert.equal(accessFor(route, "GET"), "user");
  assert.equal(accessFor(route, "HEAD"), "user", "HEAD goes as GET");
  assert.throws(
    () => routeMethodAccess("x.ts", { handler, methodAccess: { PUT: "admin" } }),
    /declares access for PUT, a method it does not answer/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => routeMethodAccess("x.ts", { handler, methodAccess: { DELETE: "root" as any } }),
    /access "root" for DELETE: it must be one of public, user, admin/,
  );
});
