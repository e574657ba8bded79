// The outbound webhook destinations API (/api/admin/webhooks) through the app: admins only, input
// checked field by field, the signing secret shown once.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";

Deno.test("[outbound] admins manage destinations: https (or a private address), known events, secret shown once", async () => {
  const server = await startTestServer();
  try {
    const post = (body: unknown) =>
      server.fetch("/api/admin/webhooks", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (
      const [body, field] of [
        [{ url: "http://hooks.example.com/x", events: ["lead.created"] }, "url"],
        [{ url: "ftp://hooks.example.com/x", events: ["lead.created"] }, "url"],
        [{ url: "https://user:pw@hooks.example.com/x", events: ["lead.created"] }, "url"],
        [{ url: "https://hooks.zapier.com/hooks/catch/1/abc/", events: [] }, "events"],
        [
          { url: "https://hooks.zapier.com/hooks/catch/1/abc/", events: ["lead.deleted"] },
          "events",
        ],
      ] as const
    ) {
      const res = await post(body);
      assert.equal(res.status, 400);
      const error = await res.json();
      assert.match(error.fields[field], /\.$/, "a whole sentence");
    }
    const created = await post({
      url: "https://hooks.zapier.com/hooks/catch/1/abc/",
      events: ["lead.status_changed", "lead.created"],
    });
    assert.equal(created.status, 201);
    const { destination, secret } = await created.json();
    assert.match(secret, /^whsec_[\w-]{43}$/);
    assert.deepEqual(destination.events, ["lead.created", "lead.status_changed"]);
    assert.equal(destination.warning, null);
    const listed = await (await server.fetch("/api/admin/webhooks")).text();
    assert.ok(!listed.includes(secret), "the secret is never served again");
    const rotated = await server.fetch(`/api/admin/webhooks/${destination.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rotateSecret: true }),
    });
    const newSecret = (await rotated.json()).secret;
    assert.ok(newSecret && newSecret !== secret);
    const agent = await server.addUser("agent");
    const denied = await fetch(`${server.url}/api/admin/webhooks`, {
      headers: { cookie: agent.cookie },
    });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const removed = await server.fetch(`/api/admin/webhooks/${destination.id}`, {
      method: "DELETE",
    });
    assert.equal(removed.status, 204);
    assert.ok(!server.logs.join("\n").includes(secret));
  } finally {
    await server.close();
  }
});
