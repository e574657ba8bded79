// Every route in routes/ declares who may use it, and the app holds to that for every method and
// for every spelling of its URL (percent-encoded, double-encoded, mixed case, trailing slash, dot
// segments): anonymous visitors get 401/303, agents get 403 on admin routes, or 404 where the
// spelling routes nowhere. Never 2xx with data.

import assert from "node:assert/strict";
import { isApiPath } from "../../lib/web/server.ts";
import type { Access } from "../../lib/web/define.ts";
import { accessFor, allowedMethods, loadRouteTree } from "../../lib/web/fs_routes.ts";
import { startTestServer, type TestServer, type TestUser } from "../_helpers/app.ts";
import { rawRequest } from "../_helpers/raw_http.ts";

const ROUTES_DIR = new URL("../../routes/", import.meta.url);

/**
 * Routes that may be reached without a session; anything else added to routes/ is private.
 * `/metrics` checks its own callers (a bearer token or an admin; tests/routes/metrics_test.ts).
 */
const EXPECTED_PUBLIC = [
  "/health",
  "/health/ready",
  "/login",
  "/manifest.webmanifest",
  "/metrics",
  "/sw.js",
  "/webhook",
];

const SAMPLE_ULID = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

/** A concrete URL for a pattern whose parameters pass their checks. */
function sampleUrl(pattern: string): string {
  return pattern
    .replace(/:pageId\b/g, "1234567890")
    .replace(/:\w+/g, SAMPLE_ULID)
    .replace("*", "x");
}

interface MatrixRoute {
  file: string;
  pattern: string;
  access: Access;
  methods: string[];
  /** True when HEAD is answered with this entry's access (it goes as GET, or as the route). */
  head: boolean;
}

async function routeMethods(): Promise<MatrixRoute[]> {
  const tree = await loadRouteTree(ROUTES_DIR);
  // One entry per access level a route's methods have (e.g. DELETE /api/leads/:id is admin-only).
  return tree.routes.flatMap((route) => {
    const byAccess = new Map<Access, string[]>();
    for (const method of allowedMethods(route.module).filter((m) => m !== "HEAD")) {
      const access = accessFor(route, method);
      byAccess.set(access, [...byAccess.get(access) ?? [], method]);
    }
    return [...byAccess].map(([access, methods]) => ({
      file: route.file,
      pattern: route.pattern,
      access,
      methods,
      head: accessFor(route, "HEAD") === access,
    }));
  });
}

function pct(char: string, lower = false): string {
  const hex = char.charCodeAt(0).toString(16).padStart(2, "0");
  return "%" + (lower ? hex : hex.toUpperCase());
}

/** One spelling of a route's URL, and whether the router is bound to match it to that route. */
interface Variant {
  name: string;
  path: string;
  /** True when the spelling decodes to the route's own path (the router matches it). */
  routes: boolean;
}

/**
 * Spellings of `pattern`'s sample URL: each static segment with its first letter percent-encoded
 * (lower-case hex), every letter encoded (upper-case hex), double-encoded, mixed case, upper case,
 * a trailing slash (plain and encoded), a doubled leading slash and an encoded slash.
 */
function variants(pattern: string): Variant[] {
  const url = sampleUrl(pattern);
  const patternSegments = pattern.split("/").slice(1);
  const segments = url.split("/").slice(1);
  const isStatic = (i: number) => patternSegments[i] !== "" && !patternSegments[i].startsWith(":");
  const staticIndexes = segments.map((_, i) => i).filter(isStatic);
  const join = (parts: string[]) => "/" + parts.join("/");
  const change = (i: number, f: (s: string) => string) =>
    join(segments.map((s, j) => (j === i ? f(s) : s)));
  const out: Variant[] = [];
  for (const i of staticIndexes) {
    out.push({
      name: `encoded ${segments[i]}`,
      path: change(i, (s) => pct(s[0], true) + s.slice(1)),
      routes: true,
    });
    out.push({
      name: `double-encoded ${segments[i]}`,
      path: change(i, (s) => "%25" + pct(s[0]).slice(1) + s.slice(1)),
      routes: false,
    });
    out.push({
      name: `mixed case ${segments[i]}`,
      path: change(i, (s) => s[0].toUpperCase() + s.slice(1)),
      routes: false,
    });
  }
  if (staticIndexes.length > 0) {
    out.push({
      name: "every letter encoded",
      path: join(segments.map((s, i) => (isStatic(i) ? [...s].map((c) => pct(c)).join("") : s))),
      routes: true,
    });
    out.push({
      name: "upper case",
      path: join(segments.map((s, i) => (isStatic(i) ? s.toUpperCase() : s))),
      routes: false,
    });
    const first = staticIndexes[0];
    out.push({
      name: "encoded, trailing slash",
      path: change(first, (s) => pct(s[0], true) + s.slice(1)) + "/",
      routes: false,
    });
  }
  if (url !== "/") {
    out.push({ name: "trailing slash", path: url + "/", routes: false });
    // `%2F` is not decoded into a separator, so after a parameter it is part of the parameter.
    out.push({
      name: "encoded trailing slash",
      path: url + "%2F",
      routes: pattern.split("/").at(-1)!.startsWith(":"),
    });
    out.push({ name: "doubled leading slash", path: "/" + url, routes: false });
  }
  if (segments.length > 1) {
    out.push({
      name: "encoded slash",
      path: "/" + segments[0] + "%2F" + segments.slice(1).join("/"),
      routes: false,
    });
  }
  return out;
}

/** Dot-segment spellings, sent over a raw socket so nothing normalises them on the way. */
function dotVariants(pattern: string): string[] {
  const url = sampleUrl(pattern);
  const rest = url.slice(1);
  return [
    `/./${rest}`,
    `/%2e/${rest}`,
    `/x/../${rest}`,
    `/api/leads/../${rest}`,
    `/api/leads/%2e%2e/${rest}`,
    `/static/../${rest}`,
    `${url}/.`,
    `//${rest}`,
  ];
}

function requestInit(method: string, headers: Record<string, string>): RequestInit {
  return {
    method,
    headers: { ...headers, "content-type": "application/json" },
    redirect: "manual",
    body: ["GET", "HEAD"].includes(method) ? undefined : "{}",
  };
}

/**
 * Asserts an anonymous request was turned away: 401 JSON or 303 to /login (or, with `allow404`, a
 * 404 for a spelling that routes nowhere), nothing else.
 */
function assertDeniedAnonymous(
  what: string,
  res: { status: number; headers: Headers },
  text: string,
  expectJson?: boolean,
  allow404 = false,
) {
  const allowed = allow404 ? [401, 303, 404] : [401, 303];
  assert.ok(allowed.includes(res.status), `${what}: ${res.status} ${text.slice(0, 200)}`);
  if (res.status === 401) {
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
    assert.equal(JSON.parse(text).error, "Sign in required", what);
  } else if (res.status === 303) {
    assert.match(res.headers.get("location") ?? "", /^\/login(\?next=|$)/, what);
  }
  if (expectJson !== undefined) assert.equal(res.status, expectJson ? 401 : 303, what);
}

/** Asserts an agent was kept out of an admin route: 403, or 404 where the spelling routes nowhere. */
function assertDeniedAgent(
  what: string,
  status: number,
  text: string,
  agent: TestUser,
  routes: boolean | null,
) {
  const allowed = routes === true ? [403] : routes === false ? [404] : [403, 404];
  assert.ok(allowed.includes(status), `${what}: ${status} ${text.slice(0, 200)}`);
  assert.ok(!text.includes(agent.email), `${what}: no user data in the answer`);
  assert.ok(!text.includes('"users"'), `${what}: no user list in the answer`);
}

async function userCount(server: TestServer): Promise<number> {
  return (await Array.fromAsync(server.kv.list({ prefix: ["users"] }))).length;
}

Deno.test("[e2e] route matrix: only /login, /webhook, /health, /health/ready and /metrics are public", async () => {
  const routes = await routeMethods();
  assert.ok(routes.length >= 5, "routes/ was read");
  const publicRoutes = routes.filter((r) => r.access === "public").map((r) => r.pattern).sort();
  assert.deepEqual(
    publicRoutes,
    EXPECTED_PUBLIC,
    "add a route to EXPECTED_PUBLIC only on purpose",
  );
});

Deno.test("[e2e] route matrix: the Team page and everything under /api/admin are admin-only", async () => {
  const routes = await routeMethods();
  const admin = routes.filter((r) => r.pattern === "/team" || r.pattern.startsWith("/api/admin/"));
  assert.ok(admin.length >= 5, "the admin routes were found");
  for (const route of admin) {
    assert.equal(route.access, "admin", `routes/${route.file} must export access = "admin"`);
  }
});

Deno.test("[e2e] route matrix: every private route denies anonymous requests for each method", async (t) => {
  const server = await startTestServer();
  try {
    for (const route of await routeMethods()) {
      if (route.access === "public") continue;
      const url = sampleUrl(route.pattern);
      for (const method of route.methods) {
        await t.step(`${method} ${route.pattern} (routes/${route.file})`, async () => {
          for (const cookie of [undefined, "leadline_session=" + "A".repeat(43)]) {
            const headers: Record<string, string> = { origin: server.url };
            if (cookie) headers.cookie = cookie;
            const res = await fetch(server.url + url, requestInit(method, headers));
            const text = await res.text();
            const what = cookie ? "with a made-up cookie" : "anonymous";
            assertDeniedAnonymous(what, res, text, isApiPath(url));
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
    const adminRoutes = (await routeMethods()).filter((r) => r.access === "admin");
    assert.ok(adminRoutes.some((r) => r.pattern === "/team"), "the Team page is admin-only");
    assert.ok(adminRoutes.some((r) => r.pattern.startsWith("/api/admin/")), "so is its API");
    for (const route of adminRoutes) {
      for (const method of [...route.methods, ...(route.head ? ["HEAD"] : [])]) {
        await t.step(`${method} ${route.pattern}`, async () => {
          const res = await fetch(
            server.url + sampleUrl(route.pattern),
            requestInit(method, { cookie: agent.cookie, origin: server.url }),
          );
          assertDeniedAgent(
            `${method} ${route.pattern}`,
            res.status,
            await res.text(),
            agent,
            true,
          );
        });
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: every spelling of a private route denies anonymous requests", async (t) => {
  const server = await startTestServer();
  try {
    for (const route of await routeMethods()) {
      if (route.access === "public") continue;
      for (const method of route.methods) {
        await t.step(`${method} ${route.pattern}`, async () => {
          for (const variant of variants(route.pattern)) {
            const res = await fetch(
              server.url + variant.path,
              requestInit(method, { origin: server.url }),
            );
            const text = await res.text();
            // A spelling that routes is answered like the route; JSON when it decodes to /api/.
            const json = variant.routes ? isApiPath(sampleUrl(route.pattern)) : undefined;
            assertDeniedAnonymous(`${variant.name}: ${variant.path}`, res, text, json);
          }
        });
      }
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: every spelling of an admin route is refused to agents", async (t) => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    const before = await userCount(server);
    for (const route of await routeMethods()) {
      if (route.access !== "admin") continue;
      for (const method of [...route.methods, ...(route.head ? ["HEAD"] : [])]) {
        await t.step(`${method} ${route.pattern}`, async () => {
          for (const variant of variants(route.pattern)) {
            const res = await fetch(
              server.url + variant.path,
              requestInit(method, { cookie: agent.cookie, origin: server.url }),
            );
            const what = `${method} ${variant.name}: ${variant.path}`;
            assertDeniedAgent(what, res.status, await res.text(), agent, variant.routes);
          }
        });
      }
    }
    assert.equal(await userCount(server), before, "no request created or removed a user");
    const agentNow = await server.fetch("/api/admin/users");
    const listed = (await agentNow.json()).users as { email: string; role: string }[];
    assert.equal(listed.find((u) => u.email === agent.email)?.role, "agent");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: dot segments and doubled slashes over a raw socket never reach an admin handler for agents or anyone for anonymous", async (t) => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    for (const route of await routeMethods()) {
      if (route.access === "public") continue;
      const method = route.methods.includes("GET") ? "GET" : route.methods[0];
      await t.step(`${method} ${route.pattern}`, async () => {
        for (const target of dotVariants(route.pattern)) {
          const anonymous = await rawRequest(server.url, target, {
            method,
            headers: { origin: server.url },
          });
          // `/static/../x` routes nowhere and is a static miss: a plain 404 is fine there.
          assertDeniedAnonymous(`anonymous ${target}`, anonymous, anonymous.body, undefined, true);
          assert.ok(!/"(leads|users|changes)"/.test(anonymous.body), `${target}: no data`);
          if (route.access !== "admin") continue;
          const res = await rawRequest(server.url, target, {
            method,
            headers: { cookie: agent.cookie, origin: server.url },
          });
          assertDeniedAgent(`agent ${target}`, res.status, res.body, agent, null);
        }
      });
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: encoded spellings reach the same handler for an admin, so the refusals above come from the route's own check", async () => {
  const server = await startTestServer();
  try {
    for (const path of ["/%74eam", "/te%61m", "/api/%61dmin/users", "/%61pi/admin/pages"]) {
      const res = await server.fetch(path, { headers: { accept: "text/html" } });
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text.slice(0, 200)}`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: an encoded /api path is answered in JSON, as the router decoded it", async () => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    const anonymous = await fetch(`${server.url}/%61pi/leads`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await anonymous.json()).error, "Sign in required");

    const forbidden = await fetch(`${server.url}/%61pi/admin/users`, {
      headers: { accept: "text/html", cookie: agent.cookie },
    });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.headers.get("content-type"), "application/json; charset=utf-8");
    assert.equal((await forbidden.json()).error, "Only admins may do this");

    const missing = await server.fetch("/%61pi/nothing-here", { headers: { accept: "text/html" } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("content-type"), "application/json; charset=utf-8");
    await missing.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] regression: an agent cannot create an admin with POST /api/%61dmin/users", async () => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    const before = await userCount(server);
    const res = await fetch(`${server.url}/api/%61dmin/users`, {
      method: "POST",
      headers: { cookie: agent.cookie, origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({
        email: "mallory@example.com",
        name: "Mallory",
        role: "admin",
        password: "correct horse battery",
      }),
    });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, "Only admins may do this");
    assert.equal(await userCount(server), before, "no user was created");
    const users = (await (await server.fetch("/api/admin/users")).json()).users;
    assert.ok(!users.some((u: { email: string }) => u.email === "mallory@example.com"));
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] regression: an agent cannot list users with GET /api/admi%6e/users or /api/admin%6e/users", async () => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    // The first decodes to /api/admin/users (403); the second, as the issue spelled it, to
    // /api/adminn/users, which routes nowhere (404). Neither lists anyone.
    for (const [path, status] of [["/api/admi%6e/users", 403], ["/api/admin%6e/users", 404]]) {
      const res = await fetch(server.url + path, { headers: { cookie: agent.cookie } });
      const text = await res.text();
      assert.equal(res.status, status, `${path}: ${text}`);
      assert.ok(!text.includes(server.user.email), "no user data");
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] regression: an agent does not see the Team page at /%74eam", async () => {
  const server = await startTestServer();
  try {
    const agent = await server.addUser("agent");
    for (const path of ["/%74eam", "/%74%65%61%6D", "/te%61m"]) {
      const res = await fetch(server.url + path, {
        headers: { cookie: agent.cookie, accept: "text/html" },
      });
      const html = await res.text();
      assert.equal(res.status, 403, path);
      assert.match(html, /Admins only/);
      assert.ok(!html.includes(server.user.email), "no team member is listed");
    }
    const anonymous = await fetch(`${server.url}/%74eam`, { redirect: "manual" });
    await anonymous.body?.cancel();
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.get("location")!, /^\/login\?next=/);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] route matrix: unknown paths are private to anonymous visitors, static misses are plain 404s", async () => {
  const server = await startTestServer();
  try {
    const api = await fetch(`${server.url}/api/nothing`, { redirect: "manual" });
    assert.equal(api.status, 401);
    await api.body?.cancel();
    const page = await fetch(`${server.url}/nothing`, { redirect: "manual" });
    assert.equal(page.status, 303);
    await page.body?.cancel();
    const asset = await fetch(`${server.url}/static/nothing.css`, { redirect: "manual" });
    assert.equal(asset.status, 404);
    await asset.body?.cancel();
    const signedIn = await server.fetch("/nothing");
    assert.equal(signedIn.status, 404);
    await signedIn.body?.cancel();
  } finally {
    await server.close();
  }
});
