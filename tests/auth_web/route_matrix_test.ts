// Every route in routes/ that is not on the public list must turn away anonymous requests, for
// every method it answers, so a new route cannot be left open by mistake.

import assert from "node:assert/strict";
import { isAdminPath, isApiPath, isPublicPath } from "../../lib/auth_web/access.ts";
import { allowedMethods, loadRouteTree } from "../../lib/web/fs_routes.ts";
import { startTestServer } from "../_helpers/app.ts";

const ROUTES_DIR = new URL("../../routes/", import.meta.url);

/** Routes that may be reached without a session; anything else added to routes/ is private. */
const EXPECTED_PUBLIC = ["/health", "/login", "/webhook"];

function sampleUrl(pattern: string): string {
  return pattern.replace(/:\w+/g, "01HZZZZZZZZZZZZZZZZZZZZZZZ").replace("*", "x");
}

async function routeMethods() {
  const tree = await loadRouteTree(ROUTES_DIR);
  return tree.routes.map((route) => ({
    file: route.file,
    pattern: route.pattern,
    methods: allowedMethods(route.module).filter((m) => m !== "HEAD"),
  }));
}

Deno.test("[e2e] route matrix: only /login, /webhook and /health are public", async () => {
  const routes = await routeMethods();
  assert.ok(routes.length >= 5, "routes/ was read");
  const publicRoutes = routes.filter((r) => isPublicPath(sampleUrl(r.pattern)));
  for (const route of publicRoutes) {
    assert.ok(
      EXPECTED_PUBLIC.includes(route.pattern),
      `routes/${route.file} (${route.pattern}) is public; add it to EXPECTED_PUBLIC only on purpose`,
    );
  }
});

Deno.test("[e2e] route matrix: every private route denies anonymous requests for each method", async (t) => {
  const server = await startTestServer();
  try {
    for (const route of await routeMethods()) {
      const url = sampleUrl(route.pattern);
      if (isPublicPath(url)) continue;
      for (const method of route.methods) {
        await t.step(`${method} ${route.pattern} (routes/${route.file})`, async () => {
          for (const cookie of [undefined, "leadline_session=" + "A".repeat(43)]) {
            const headers: Record<string, string> = { origin: server.url };
            if (cookie) headers.cookie = cookie;
            const res = await fetch(server.url + url, {
              method,
              headers,
              redirect: "manual",
              body: ["GET", "HEAD"].includes(method) ? undefined : "{}",
            });
            const text = await res.text();
            const what = cookie ? "with a made-up cookie" : "anonymous";
            if (isApiPath(url)) {
              assert.equal(res.status, 401, `${what}: ${text}`);
              assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
              assert.equal(JSON.parse(text).error, "Sign in required");
            } else {
              assert.equal(res.status, 303, `${what}: ${text}`);
              assert.match(res.headers.get("location")!, /^\/login(\?next=|$)/);
            }
          }
        });
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: admin-only routes answer 403 to agents, for each method", async (t) => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    const adminRoutes = (await routeMethods()).filter((r) => isAdminPath(sampleUrl(r.pattern)));
    assert.ok(adminRoutes.some((r) => r.pattern === "/team"), "the Team page is admin-only");
    assert.ok(adminRoutes.some((r) => r.pattern.startsWith("/api/admin/")), "so is its API");
    for (const route of adminRoutes) {
      for (const method of route.methods) {
        await t.step(`${method} ${route.pattern}`, async () => {
          const res = await fetch(server.url + sampleUrl(route.pattern), {
            method,
            headers: { cookie: agent.cookie, origin: server.url },
            redirect: "manual",
            body: ["GET", "HEAD"].includes(method) ? undefined : "{}",
          });
          await res.body?.cancel();
          assert.equal(res.status, 403);
        });
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("[auth_web] access lists: paths, prefixes and admin areas", () => {
  for (const path of ["/login", "/webhook", "/health", "/static/styles.css", "/_islands/X-1.js"]) {
    assert.ok(isPublicPath(path), path);
  }
  for (const path of ["/", "/api/events", "/api/leads", "/leads/1", "/login/x", "/healthz"]) {
    assert.ok(!isPublicPath(path), path);
  }
  for (const path of ["/team", "/team/x", "/settings", "/api/admin", "/api/admin/users/1"]) {
    assert.ok(isAdminPath(path), path);
  }
  for (const path of ["/teams", "/api/administrator", "/"]) assert.ok(!isAdminPath(path), path);
});
