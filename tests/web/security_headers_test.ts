import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function assertSecurityHeaders(res: Response, what: string) {
  assert.equal(res.headers.get("content-security-policy"), CSP, `${what}: CSP`);
  assert.doesNotMatch(res.headers.get("content-security-policy")!, /unsafe-inline/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", `${what}: nosniff`);
  assert.equal(res.headers.get("referrer-policy"), "same-origin", `${what}: referrer policy`);
  assert.equal(res.headers.get("x-frame-options"), "DENY", `${what}: no framing`);
  assert.equal(res.headers.get("cross-origin-opener-policy"), "same-origin", `${what}: COOP`);
  assert.equal(res.headers.get("cross-origin-resource-policy"), "same-origin", `${what}: CORP`);
  assert.match(
    res.headers.get("permissions-policy") ?? "",
    /(^|, )camera=\(\)(,|$)/,
    `${what}: Permissions-Policy turns off what we never use`,
  );
  assert.doesNotMatch(res.headers.get("permissions-policy") ?? "", /notifications|autoplay/);
}

Deno.test("[e2e] security headers on pages, API, static files, 401, 404, 405 and redirects", async () => {
  const server = await startTestServer();
  try {
    const cases: [string, Promise<Response>, number][] = [
      ["page", server.fetch("/"), 200],
      ["login page", fetch(server.url + "/login"), 200],
      ["API", server.fetch("/api/admin/users"), 200],
      ["health", fetch(server.url + "/health"), 200],
      ["static file", fetch(server.url + "/static/styles.css"), 200],
      ["404 page", server.fetch("/no/such/page", { headers: { accept: "text/html" } }), 404],
      ["404 API", server.fetch("/api/no/such/thing"), 404],
      ["401 API", fetch(server.url + "/api/admin/users"), 401],
      ["303 to login", fetch(server.url + "/", { redirect: "manual" }), 303],
      ["405", server.fetch("/login", { method: "PUT" }), 405],
      ["island bundle 404", fetch(server.url + "/_islands/nothing.js"), 404],
      ["400 API", server.fetch("/api/leads?limit=x"), 400],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      await res.body?.cancel();
      assert.equal(res.status, status, what);
      assertSecurityHeaders(res, what);
      assert.equal(res.headers.get("strict-transport-security"), null, `${what}: no HSTS on http`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] HSTS only over https (a trusted proxy's X-Forwarded-Proto counts)", async () => {
  const plain = await startTestServer();
  const proxied = await startTestServer({ env: { TRUST_PROXY: "true" } });
  try {
    const ignored = await fetch(plain.url + "/health", {
      headers: { "x-forwarded-proto": "https" },
    });
    await ignored.body?.cancel();
    assert.equal(ignored.headers.get("strict-transport-security"), null, "untrusted header");

    const trusted = await fetch(proxied.url + "/health", {
      headers: { "x-forwarded-proto": "https" },
    });
    await trusted.body?.cancel();
    assert.equal(trusted.headers.get("strict-transport-security"), "max-age=31536000");

    const direct = await plain.app.fetch(new Request("https://leads.example.com/health"));
    await direct.body?.cancel();
    assert.equal(direct.headers.get("strict-transport-security"), "max-age=31536000");
    assertSecurityHeaders(direct, "https health");
  } finally {
    await plain.close();
    await proxied.close();
  }
});

Deno.test("[e2e] pages carry no inline script: every <script> is external or JSON data", async () => {
  const server = await startTestServer();
  try {
    for (const path of ["/", "/login", "/team"]) {
      const res = await (path === "/login" ? fetch(server.url + path) : server.fetch(path));
      assert.equal(res.status, 200, path);
      const html = await res.text();
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
        assert.ok(
          /\bsrc="\/_islands\//.test(tag) || /type="application\/json"/.test(tag),
          `${path}: ${tag} is an island bundle or props JSON`,
        );
      }
      assert.doesNotMatch(html, /\son[a-z]+="/i, `${path}: no inline event handlers`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] security headers on the 503 answered once a stop has begun", async () => {
  const server = await startTestServer();
  try {
    assert.equal(await server.app.drain(1_000), true);
    const res = await fetch(server.url + "/health");
    await res.body?.cancel();
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assertSecurityHeaders(res, "503 while stopping");
  } finally {
    await server.close();
  }
});
