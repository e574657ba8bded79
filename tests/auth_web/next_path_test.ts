// Open redirects through `next`: dot segments and encodings that resolve to `//host` are refused,
// for a signed-in visit to /login and for the sign-in form alike.

import assert from "node:assert/strict";
import { safeNextPath } from "../../lib/auth_web/next_path.ts";
import { startTestServer } from "../_helpers/app.ts";
import { postForm } from "../routes/_helpers.ts";

/** `next` values (decoded, as the query or form carries them) that must not leave the site. */
const ESCAPES = [
  "/.//evil.example/login", // the issue's /login?next=%2F.%2F%2Fevil.example%2Flogin
  "/%2e//evil.example/login",
  "/%2E//evil.example/login",
  "/a/..//evil.example/login",
  "/..//evil.example",
  "/%2e%2e//evil.example",
  "/a/%2e%2e//evil.example",
  "/././/evil.example",
  "/a/b/../..//evil.example",
  "/\\evil.example",
  "/./\\evil.example",
];

Deno.test("[auth_web] safeNextPath - paths that resolve to //host are refused", () => {
  for (const next of ESCAPES) assert.equal(safeNextPath(next), "/", `refuses ${next}`);
  // Encoded slashes stay encoded: the browser reads them as one local path segment.
  assert.equal(safeNextPath("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
  assert.equal(safeNextPath("/%5C%5Cevil.example"), "/%5C%5Cevil.example");
  // Harmless dot segments still resolve to the local path they name.
  assert.equal(safeNextPath("/a/../leads/1?x=1"), "/leads/1?x=1");
  assert.equal(safeNextPath("/./team"), "/team");
  assert.equal(safeNextPath("/./login"), "/", "and /login stays refused once resolved");
});

Deno.test("[e2e] next: a signed-in visit to /login never redirects off the site", async () => {
  const server = await startTestServer();
  try {
    for (const next of ESCAPES) {
      const res = await server.fetch(`/login?next=${encodeURIComponent(next)}`, {
        redirect: "manual",
      });
      await res.body?.cancel();
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.get("location"), "/", `next=${next}`);
    }
    // The exact request from the issue.
    const issue = await server.fetch("/login?next=%2F.%2F%2Fevil.example%2Flogin", {
      redirect: "manual",
    });
    await issue.body?.cancel();
    assert.equal(issue.headers.get("location"), "/");
    const encoded = await server.fetch("/login?next=%2F%252F%252Fevil", { redirect: "manual" });
    await encoded.body?.cancel();
    assert.equal(encoded.headers.get("location"), "/%2F%2Fevil", "a local path");
  } finally {
    await server.close();
  }
});

Deno.test("[e2e] next: signing in never redirects off the site", async () => {
  const server = await startTestServer();
  try {
    for (const next of ESCAPES) {
      const res = await postForm(server.url + "/login", {
        email: server.user.email,
        password: server.user.password,
        next,
      });
      await res.body?.cancel();
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.get("location"), "/", `next=${next}`);
    }
  } finally {
    await server.close();
  }
});
