// POST, GET and DELETE /api/push/subscriptions through the app: what a browser may subscribe with,
// and that a device belongs to whoever switched it on last.

import assert from "node:assert/strict";
import { listPushSubscriptions } from "../../lib/push/subscriptions.ts";
import { startTestServer, type TestUser } from "../_helpers/app.ts";
import { startPushService } from "../_helpers/push_service.ts";

Deno.test("[push] a subscription must be https (loopback aside) with P-256 keys; devices are the user's own", async () => {
  const server = await startTestServer();
  const push = startPushService();
  try {
    const good = await push.subscribe();
    const post = (body: unknown, user: TestUser = server.user) =>
      fetch(`${server.url}/api/push/subscriptions`, {
        method: "POST",
        headers: { cookie: user.cookie, origin: server.url, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (
      const [body, reason] of [
        [{ endpoint: "http://push.example.com/x", keys: good.keys }, /https/],
        [{ endpoint: good.endpoint, keys: { ...good.keys, p256dh: "AAAA" } }, /p256dh/],
        [{ endpoint: good.endpoint, keys: { ...good.keys, auth: "AAAA" } }, /auth/],
        [{ keys: good.keys }, /endpoint/],
      ] as const
    ) {
      const res = await post(body);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, reason);
    }
    const anonymous = await fetch(`${server.url}/api/push/subscriptions`, {
      method: "POST",
      headers: { origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: good.endpoint, keys: good.keys }),
    });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    // The same device signed in as someone else becomes theirs alone.
    const other = await server.addUser("agent");
    assert.equal((await post({ endpoint: good.endpoint, keys: good.keys })).status, 201);
    assert.equal((await post({ endpoint: good.endpoint, keys: good.keys }, other)).status, 201);
    assert.equal((await listPushSubscriptions(server.kv, server.user.id)).length, 0);
    assert.equal((await listPushSubscriptions(server.kv, other.id)).length, 1);

    // Switching off on the device removes it.
    const off = await fetch(`${server.url}/api/push/subscriptions`, {
      method: "DELETE",
      headers: { cookie: other.cookie, origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({ endpoint: good.endpoint }),
    });
    assert.deepEqual(await off.json(), { removed: true });
    assert.equal((await listPushSubscriptions(server.kv, other.id)).length, 0);
  } finally {
    await server.close();
    await push.close();
  }
});
