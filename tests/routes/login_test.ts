import assert from "node:assert/strict";
import { getSession } from "../../lib/auth/sessions.ts";
import { safeNextPath } from "../../lib/auth_web/next_path.ts";
import { startTestServer } from "../_helpers/app.ts";
import { cookieValue, postForm, sessionSetCookie } from "./_helpers.ts";

Deno.test("[e2e] POST /login with the right password sets a session cookie and redirects to /", async () => {
  const server = await startTestServer();
  try {
    const res = await postForm(server.url + "/login", {
      email: server.user.email.toUpperCase(),
      password: server.user.password,
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/");
    const cookie = sessionSetCookie(res);
    assert.ok(cookie, "a session cookie is set");
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Lax/);
    assert.match(cookie, /; Path=\//);
    assert.match(cookie, /; Max-Age=43200/, "12 hours by default");
    assert.doesNotMatch(cookie, /Secure/, "plain http gets no Secure flag");
    const id = cookieValue(cookie);
    assert.match(id, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
    const found = await getSession(server.kv, id);
    assert.equal(found?.user.email, server.user.email);

    const home = await fetch(server.url + "/", { headers: { cookie: `leadline_session=${id}` } });
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /Signed in as Test Admin/);
    assert.match(html, /<form method="post" action="\/logout"/);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] GET /login shows the form; a signed-in visitor goes straight on", async () => {
  const server = await startTestServer();
  try {
    const anonymous = await fetch(server.url + "/login?next=%2Fleads%2F42");
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await anonymous.text();
    assert.match(html, /<form method="post" action="\/login"/);
    assert.match(html, /<input type="hidden" name="next" value="\/leads\/42"\/>/);
    assert.match(html, /name="password"/);
    assert.doesNotMatch(html, /Signed in as/);

    const signedIn = await server.fetch("/login?next=%2Fleads%2F42", { redirect: "manual" });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get("location"), "/leads/42");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] unknown email and wrong password get the same 401 page and message", async () => {
  const server = await startTestServer();
  try {
    const wrongPassword = await postForm(server.url + "/login", {
      email: server.user.email,
      password: "not the password at all",
    });
    const unknownEmail = await postForm(server.url + "/login", {
      email: "nobody@example.com",
      password: "not the password at all",
    });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownEmail.status, 401);
    assert.equal(sessionSetCookie(wrongPassword), undefined);
    assert.equal(sessionSetCookie(unknownEmail), undefined);
    const a = await wrongPassword.text();
    const b = await unknownEmail.text();
    assert.match(a, /Wrong email or password\./);
    const message = (html: string) => /<p class="form-error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    assert.equal(message(a), message(b));
    assert.match(a, /<form method="post" action="\/login"/, "the form is shown again");
    assert.doesNotMatch(a, /not the password at all/, "the password is never echoed");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] after 5 failures the account gets 429 with Retry-After, even with the right password", async () => {
  const server = await startTestServer();
  try {
    for (let i = 0; i < 5; i++) {
      const res = await postForm(server.url + "/login", {
        email: server.user.email,
        password: `wrong password ${i}`,
      });
      await res.body?.cancel();
      assert.equal(res.status, 401, `attempt ${i + 1} is a plain failure`);
    }
    const res = await postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
    });
    assert.equal(res.status, 429);
    const retryAfter = Number(res.headers.get("retry-after"));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After is ${retryAfter}`);
    assert.equal(sessionSetCookie(res), undefined);
    assert.match(await res.text(), /Too many failed attempts\. Try again in 15 minutes\./);

    // An unknown account throttles alike, so 429 reveals nothing about who has an account.
    for (let i = 0; i < 5; i++) {
      await (await postForm(server.url + "/login", { email: "ghost@example.com", password: "x" }))
        .body?.cancel();
    }
    const ghost = await postForm(server.url + "/login", {
      email: "ghost@example.com",
      password: "x",
    });
    await ghost.body?.cancel();
    assert.equal(ghost.status, 429);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] 20 failures from one address throttle every account from it", async () => {
  const server = await startTestServer();
  try {
    for (let i = 0; i < 20; i++) {
      const res = await postForm(server.url + "/login", {
        email: `person${i}@example.com`,
        password: "wrong password",
      });
      await res.body?.cancel();
      assert.equal(res.status, 401);
    }
    const res = await postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
    });
    await res.body?.cancel();
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get("retry-after")) > 0);
  } finally {
    await server.close();
  }
});

Deno.test("[auth_web] safeNextPath keeps local paths and refuses everything else", () => {
  assert.equal(safeNextPath("/leads/01HXYZ"), "/leads/01HXYZ");
  assert.equal(safeNextPath("/leads?status=new#top"), "/leads?status=new#top");
  for (
    const bad of [
      "//evil.example",
      "https://evil.example/",
      "http:evil.example",
      "/\\evil.example",
      "\\\\evil.example",
      "evil.example",
      "javascript:alert(1)",
      "/login",
      "/\t/evil.example",
      "",
      null,
      undefined,
      42,
    ]
  ) {
    assert.equal(safeNextPath(bad), "/", `refuses ${JSON.stringify(bad)}`);
  }
});

Deno.test("[e2e] next: a local path is followed after sign-in, an open redirect is refused", async () => {
  const server = await startTestServer();
  try {
    const cases: [string, string][] = [
      ["/leads/x", "/leads/x"],
      ["/team?tab=agents", "/team?tab=agents"],
      ["//evil.example/steal", "/"],
      ["https://evil.example/", "/"],
      ["/\\evil.example", "/"],
    ];
    for (const [next, expected] of cases) {
      const res = await postForm(server.url + "/login", {
        email: server.user.email,
        password: server.user.password,
        next,
      });
      await res.body?.cancel();
      assert.equal(res.status, 303);
      assert.equal(res.headers.get("location"), expected, `next=${next}`);
    }
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] an anonymous page visit redirects to /login with next, and comes back after", async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(server.url + "/leads/abc?x=1", { redirect: "manual" });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    const location = res.headers.get("location")!;
    assert.equal(location, "/login?next=%2Fleads%2Fabc%3Fx%3D1");
    const next = new URL(location, server.url).searchParams.get("next")!;
    const login = await postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
      next,
    });
    await login.body?.cancel();
    assert.equal(login.headers.get("location"), "/leads/abc?x=1");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] POST /logout ends the session in KV, clears the cookie and redirects to /login", async () => {
  const server = await startTestServer();
  try {
    assert.ok(await getSession(server.kv, server.user.sessionId), "signed in before");
    const res = await server.fetch("/logout", { method: "POST", redirect: "manual" });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/login");
    const cookie = sessionSetCookie(res)!;
    assert.match(cookie, /^leadline_session=;/);
    assert.match(cookie, /Max-Age=0/);
    assert.equal(await getSession(server.kv, server.user.sessionId), null, "gone from KV");

    const after = await server.fetch("/", { redirect: "manual" });
    await after.body?.cancel();
    assert.equal(after.status, 303, "the old cookie no longer opens the dashboard");
    const api = await server.fetch("/api/admin/users");
    await api.body?.cancel();
    assert.equal(api.status, 401);
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] the cookie is Secure over https: behind a trusted proxy only", async (t) => {
  const login = (
    server: { url: string; user: { email: string; password: string } },
    headers = {},
  ) =>
    postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
    }, headers);

  await t.step("X-Forwarded-Proto is ignored without TRUST_PROXY", async () => {
    const server = await startTestServer();
    try {
      const res = await login(server, { "x-forwarded-proto": "https" });
      await res.body?.cancel();
      assert.equal(res.status, 303);
      assert.doesNotMatch(sessionSetCookie(res)!, /Secure/);
    } finally {
      await server.close();
    }
  });

  await t.step("TRUST_PROXY=true: X-Forwarded-Proto https gives Secure", async () => {
    const server = await startTestServer({ env: { TRUST_PROXY: "true" } });
    try {
      const origin = server.url.replace("http://", "https://");
      const res = await login(server, { "x-forwarded-proto": "https", origin });
      await res.body?.cancel();
      assert.equal(res.status, 303);
      assert.match(sessionSetCookie(res)!, /; Secure/);
      const plain = await login(server);
      await plain.body?.cancel();
      assert.doesNotMatch(sessionSetCookie(plain)!, /Secure/, "the proxy said http");
    } finally {
      await server.close();
    }
  });

  await t.step("an https URL gives Secure (in-process)", async () => {
    const server = await startTestServer();
    try {
      const res = await server.app.fetch(
        new Request("https://leads.example.com/login", {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            origin: "https://leads.example.com",
          },
          body: new URLSearchParams({ email: server.user.email, password: server.user.password }),
        }),
      );
      assert.equal(res.status, 303);
      assert.match(sessionSetCookie(res)!, /; Secure/);
    } finally {
      await server.close();
    }
  });
});

Deno.test("[e2e] SESSION_TTL_HOURS sets the session lifetime and the cookie's Max-Age", async () => {
  const server = await startTestServer({ env: { SESSION_TTL_HOURS: "2" } });
  try {
    const res = await postForm(server.url + "/login", {
      email: server.user.email,
      password: server.user.password,
    });
    await res.body?.cancel();
    const cookie = sessionSetCookie(res)!;
    assert.match(cookie, /Max-Age=7200/);
    const found = await getSession(server.kv, cookieValue(cookie));
    assert.equal(found?.session.ttlMs, 2 * 60 * 60 * 1000);
  } finally {
    await server.close();
  }
});
