import assert from "node:assert/strict";
import { checkOrigin } from "../../lib/auth_web/csrf.ts";
import { startTestServer } from "../_helpers/app.ts";

Deno.test("[auth_web] checkOrigin: Origin decides, then Referer, then the absence of a session", () => {
  const own = "http://127.0.0.1:8000";
  const req = (headers: Record<string, string>) =>
    new Request(own + "/api/x", { method: "POST", headers });
  const cookie = { cookie: "leadline_session=abc" };
  assert.deepEqual(checkOrigin(req({ origin: own, ...cookie }), own), { ok: true });
  assert.equal(checkOrigin(req({ origin: "https://evil.example", ...cookie }), own).ok, false);
  assert.equal(checkOrigin(req({ origin: "null", ...cookie }), own).ok, false);
  assert.equal(
    checkOrigin(req({ origin: "http://127.0.0.1:8001", ...cookie }), own).ok,
    false,
    "another port is another origin",
  );
  assert.deepEqual(checkOrigin(req({ referer: own + "/team", ...cookie }), own), { ok: true });
  assert.equal(checkOrigin(req({ referer: "https://evil.example/", ...cookie }), own).ok, false);
  assert.equal(checkOrigin(req({ referer: "not a url", ...cookie }), own).ok, false);
  assert.equal(checkOrigin(req(cookie), own).ok, false, "a session with no origin at all");
  assert.deepEqual(checkOrigin(req({}), own), { ok: true }, "no session, nothing to forge");
  assert.equal(
    checkOrigin(req({ origin: "https://evil.example" }), own).ok,
    false,
    "a foreign Origin is refused even without a session (login CSRF)",
  );
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
    assert.notEqual(res.status, 403, "the origin check does not apply to /webhook");
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
