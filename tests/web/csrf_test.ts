import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { h } from "preact";
import { createLogger } from "../../lib/log.ts";
import { checkOrigin, csrfProtection } from "../../lib/web/csrf.ts";
import { loadRouteTree, routeCsrf } from "../../lib/web/fs_routes.ts";
import { createPageRenderer } from "../../lib/web/render.ts";
import { createWebApp } from "../../lib/web/server.ts";
import { startTestServer } from "../_helpers/app.ts";

Deno.test("[web] checkOrigin: Origin decides, then Referer, then the absence of a session", () => {
  const own = "http://127.0.0.1:8000";
  const req = (headers: Record<string, string>) =>
    new Request(own + "/api/x", { method: "POST", headers });
  // As the app decides it: a session cookie is the ambient credential.
  const check = (request: Request) =>
    checkOrigin(request, own, { hasCredentials: request.headers.has("cookie") });
  const cookie = { cookie: "leadline_session=abc" };
  assert.deepEqual(check(req({ origin: own, ...cookie })), { ok: true });
  assert.equal(check(req({ origin: "https://evil.example", ...cookie })).ok, false);
  assert.equal(check(req({ origin: "null", ...cookie })).ok, false);
  assert.equal(
    check(req({ origin: "http://127.0.0.1:8001", ...cookie })).ok,
    false,
    "another port is another origin",
  );
  assert.deepEqual(check(req({ referer: own + "/team", ...cookie })), { ok: true });
  assert.equal(check(req({ referer: "https://evil.example/", ...cookie })).ok, false);
  assert.equal(check(req({ referer: "not a url", ...cookie })).ok, false);
  assert.equal(check(req(cookie)).ok, false, "a session with no origin at all");
  assert.deepEqual(check(req({})), { ok: true }, "no session, nothing to forge");
  assert.equal(
    check(req({ origin: "https://evil.example" })).ok,
    false,
    "a foreign Origin is refused even without a session (login CSRF)",
  );
});

Deno.test("[web] checkOrigin: the browser's Sec-Fetch-Site refuses another site's request whatever else it says", () => {
  const own = "http://127.0.0.1:8000";
  const req = (headers: Record<string, string>) =>
    new Request(own + "/api/x", { method: "POST", headers });
  const check = (request: Request) => checkOrigin(request, own, { hasCredentials: true });
  for (const site of ["cross-site", "same-site", "Cross-Site"]) {
    assert.deepEqual(
      check(req({ "sec-fetch-site": site, origin: own })),
      { ok: false, reason: `its Sec-Fetch-Site is ${site.toLowerCase()}` },
      `${site}, even with our Origin`,
    );
  }
  assert.deepEqual(check(req({ "sec-fetch-site": "same-origin", origin: own })), { ok: true });
  assert.equal(
    check(req({ "sec-fetch-site": "same-origin", origin: "https://evil.example" })).ok,
    false,
    "a foreign Origin still decides",
  );
  // A browser that vouches for the request needs no Origin (one that sends none is rare).
  assert.deepEqual(check(req({ "sec-fetch-site": "same-origin" })), { ok: true });
  assert.deepEqual(check(req({ "sec-fetch-site": "none" })), { ok: true });
});

Deno.test("[e2e] CSRF: a cross-site POST with a session gets 403 JSON and changes nothing", async () => {
  const server = await startTestServer();
  try {
    const before = await (await server.fetch("/api/admin/users")).json();
    const body = JSON.stringify({
      email: "mallory@example.com",
      name: "Mallory",
      role: "admin",
      password: "mallory mallory",
    });
    const crossSite = await server.fetch("/api/admin/users", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body,
    });
    assert.equal(crossSite.status, 403);
    assert.equal(crossSite.headers.get("content-type"), "application/json; charset=utf-8");
    assert.match((await crossSite.json()).error, /Cross-site request refused/);

    const badReferer = await server.fetch("/api/admin/users", {
      method: "POST",
      headers: {
        origin: "",
        referer: "https://evil.example/page",
        "content-type": "application/json",
      },
      body,
    });
    await badReferer.body?.cancel();
    assert.equal(badReferer.status, 403, "an empty Origin counts as foreign");

    const after = await (await server.fetch("/api/admin/users")).json();
    assert.equal(after.users.length, before.users.length, "no user was added");

    const logout = await server.fetch("/logout", {
      method: "POST",
      headers: { origin: "https://evil.example" },
      redirect: "manual",
    });
    await logout.body?.cancel();
    assert.equal(logout.status, 403, "cross-site sign-out is refused too");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] CSRF: same origin passes; so does a same-site Referer without Origin", async () => {
  const server = await startTestServer();
  try {
    const sameOrigin = await server.fetch("/api/admin/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "a1@example.com",
        name: "A One",
        role: "agent",
        password: "long enough pass",
      }),
    });
    await sameOrigin.body?.cancel();
    assert.equal(sameOrigin.status, 201);

    // fetch() always sends Origin on POST from a browser, but not from Deno; a raw request
    // with only a Referer stands for older browsers.
    const refererOnly = await fetch(server.url + "/api/admin/users", {
      method: "POST",
      headers: {
        cookie: server.user.cookie,
        referer: server.url + "/team",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        email: "a2@example.com",
        name: "A Two",
        role: "agent",
        password: "long enough pass",
      }),
    });
    await refererOnly.body?.cancel();
    assert.equal(refererOnly.status, 201);

    const neither = await fetch(server.url + "/api/admin/users", {
      method: "POST",
      headers: { cookie: server.user.cookie, "content-type": "application/json" },
      body: "{}",
    });
    await neither.body?.cancel();
    assert.equal(neither.status, 403, "a session with neither Origin nor Referer is refused");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] CSRF: the webhook is exempt (no session, signature-checked)", async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(server.url + "/webhook", {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "application/json" },
      body: "{}",
    });
    await res.body?.cancel();
    // Not refused as cross-site: the signature check answers (this delivery has none).
    assert.equal(res.status, 401, "the origin check does not apply to /webhook");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] CSRF: behind a trusted proxy the https origin is ours", async () => {
  const server = await startTestServer({ env: { TRUST_PROXY: "true" } });
  try {
    const https = server.url.replace("http://", "https://");
    const ok = await server.fetch("/logout", {
      method: "POST",
      headers: { origin: https, "x-forwarded-proto": "https" },
      redirect: "manual",
    });
    await ok.body?.cancel();
    assert.equal(ok.status, 303);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] CSRF: a request the browser marks cross-site is refused even with our Origin", async () => {
  const server = await startTestServer();
  try {
    const refused = await server.fetch("/api/shift", {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site", "content-type": "application/json" },
      body: JSON.stringify({ onShift: true }),
    });
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).error, /Cross-site request refused: its Sec-Fetch-Site/);
    const shift = await (await server.fetch("/api/shift")).json();
    assert.equal(shift.onShift, false, "nothing changed");

    const allowed = await server.fetch("/api/shift", {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", "content-type": "application/json" },
      body: JSON.stringify({ onShift: true }),
    });
    assert.equal(allowed.status, 200);
    assert.equal((await allowed.json()).onShift, true);
  } finally {
    await server.close();
  }
});

/** A routes folder in a temp dir holding the special pages and `files` (name -> source). */
async function routesFolder(
  files: Record<string, string>,
): Promise<{ url: URL; remove(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "leadline-csrf-routes-" });
  const page = "export default function Page() { return null; }\n";
  for (const name of ["_app.tsx", "_404.tsx", "_500.tsx"]) {
    await Deno.writeTextFile(join(dir, name), page);
  }
  for (const [name, source] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, name)), { recursive: true });
    await Deno.writeTextFile(join(dir, name), source);
  }
  return {
    url: pathToFileURL(dir + "/"),
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

const POSTED = "export const access = 'public';\n" +
  "export const handler = { POST: () => new Response('posted') };\n";

Deno.test("[web] CSRF: the exemption is the route's own declaration; undeclared routes and unknown paths are checked", async () => {
  const folder = await routesFolder({
    "form.ts": POSTED,
    "hook.ts": POSTED + "export const csrf = 'exempt';\n",
    "hooks/[name].ts": POSTED + "export const params = { name: () => true };\n",
  });
  try {
    const tree = await loadRouteTree(folder.url);
    assert.deepEqual(
      tree.routes.map((r) => [r.pattern, r.csrf]),
      [["/form", "checked"], ["/hook", "exempt"], ["/hooks/:name", "checked"]],
    );
    tree.app = ({ Component }) => h("main", null, h(Component, null));
    const assets = { files: new Map(), url: (p: string) => p };
    const app = createWebApp({
      initialState: (requestId) => ({ requestId }),
      log: createLogger({ sink: () => {} }),
      tree,
      assets,
      render: createPageRenderer(tree, assets, { islands: new Map(), pages: [], files: new Map() }),
      middleware: [csrfProtection({ trustProxy: false, hasCredentials: () => true })],
      authorize: () => null,
    });
    const crossSite = (path: string) =>
      app.request(path, { method: "POST", headers: { origin: "https://evil.example" } });
    for (
      const [path, status] of [
        ["/hook", 200],
        // Another spelling of the same route is the same route: the router decides, not a path list.
        ["/%68ook", 200],
        ["/form", 403],
        ["/hooks/x", 403],
        ["/hook/extra", 403],
        ["/nothing", 403],
      ] as const
    ) {
      const res = await crossSite(path);
      await res.body?.cancel();
      assert.equal(res.status, status, path);
    }
    const sameOrigin = await app.request("/form", {
      method: "POST",
      headers: { origin: "http://localhost" },
    });
    assert.equal(sameOrigin.status, 200);
    assert.equal(await sameOrigin.text(), "posted");
  } finally {
    await folder.remove();
  }
});

Deno.test("[web] CSRF: an unknown csrf declaration stops start-up, naming the route", async () => {
  const handler = { POST: () => new Response() };
  assert.equal(routeCsrf("x.ts", { handler }), "checked", "checked unless declared");
  assert.equal(routeCsrf("x.ts", { handler, csrf: "exempt" }), "exempt");
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => routeCsrf("x.ts", { handler, csrf: "exmpt" as any }),
    /Route x\.ts exports csrf "exmpt": it must be one of checked, exempt/,
  );
  const folder = await routesFolder({ "hook.ts": POSTED + "export const csrf = false;\n" });
  try {
    await assert.rejects(
      () => loadRouteTree(folder.url),
      /Route hook\.ts exports csrf false: it must be one of checked, exempt/,
    );
  } finally {
    await folder.remove();
  }
});

Deno.test("[routes] CSRF: only routes/webhook.ts declares itself exempt", async () => {
  const tree = await loadRouteTree(new URL("../../routes/", import.meta.url));
  const exempt = tree.routes.filter((r) => r.csrf === "exempt").map((r) => r.file);
  assert.deepEqual(exempt, ["webhook.ts"]);
});
