import assert from "node:assert/strict";
import { createTestApp } from "../_helpers/app.ts";

Deno.test("[api] every /api/* answer carries Cache-Control: no-store, whoever made it", async () => {
  const { app, fetch, addUser, close } = await createTestApp();
  try {
    const agent = await addUser("agent");
    const cases: [string, Promise<Response>, number][] = [
      ["a route", fetch("/api/leads"), 200],
      [
        "a route that sets nothing itself",
        fetch("/api/demo/leads", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ count: 1, deliver: false }),
        }),
        201,
      ],
      ["an HttpError", fetch("/api/demo/leads", { method: "POST", body: "not json" }), 400],
      ["a 404 route answer", fetch("/api/admin/pages/123", { method: "DELETE" }), 404],
      ["no such route", fetch("/api/no/such/thing"), 404],
      ["a method not allowed", fetch("/api/leads", { method: "PUT" }), 405],
      [
        "an agent on an admin API",
        fetch("/api/admin/users", {
          headers: { cookie: agent.cookie },
        }),
        403,
      ],
      ["nobody signed in", app.fetch(new Request("http://localhost/api/leads")), 401],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      assert.equal(res.status, status, what);
      assert.equal(res.headers.get("cache-control"), "no-store", what);
      await res.body?.cancel();
    }
    const css = await fetch("/static/styles.css");
    assert.notEqual(css.headers.get("cache-control"), "no-store", "static files stay cacheable");
    await css.body?.cancel();
  } finally {
    await close();
  }
});
