// Lead notifications end to end on the server side: a signed webhook delivery goes in, and a push
// service stand-in on 127.0.0.1 gets a message it decrypts with the subscription's private key,
// signed with a VAPID JWT that verifies with the server's public key; who hears about a lead;
// quiet hours; subscriptions the push service calls gone are removed; 5xx is retried.

import assert from "node:assert/strict";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { listPushSubscriptions } from "../../lib/push/subscriptions.ts";
import { setOnShift } from "../../lib/routing/shift.ts";
import { startTestServer, type TestServer, type TestUser } from "../_helpers/app.ts";
import {
  makeSubscription,
  type PushServiceStandIn,
  startPushService,
  subscriptionIdOf,
  type TestSubscription,
} from "../_helpers/push_service.ts";
import { waitFor } from "../_helpers/wait.ts";

const ENV = { JOB_RETRY_DELAY_MS: "50" };

/** Switches notifications on for `user` with `subscription`, as the browser's island does. */
async function subscribe(server: TestServer, user: TestUser, subscription: TestSubscription) {
  const res = await fetch(`${server.url}/api/push/subscriptions`, {
    method: "POST",
    headers: {
      cookie: user.cookie,
      origin: server.url,
      "content-type": "application/json",
      "user-agent": "Mozilla/5.0 (Linux; Android 14) Chrome/150.0 Mobile",
    },
    body: JSON.stringify({ endpoint: subscription.endpoint, keys: subscription.keys }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).device;
}

/** Creates a lead in the simulator and delivers it, signed, to the server's webhook. */
async function deliverLead(server: TestServer): Promise<SimLead> {
  const simulator = server.app.services.simulator!;
  const lead = simulator.createLead();
  const res = await simulator.deliver([lead], `${server.url}/webhook`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return lead;
}

async function withServer(fn: (server: TestServer, push: PushServiceStandIn) => Promise<void>) {
  const server = await startTestServer({ env: ENV });
  const push = startPushService();
  try {
    await fn(server, push);
  } finally {
    await server.close();
    await push.close();
  }
}

Deno.test("[push] a webhook lead reaches the rep's device encrypted end to end, with name and form", async () => {
  await withServer(async (server, push) => {
    const phone = await push.subscribe();
    const device = await subscribe(server, server.user, phone);
    assert.equal(device.device, "Chrome on Android");
    assert.equal(device.pushService, new URL(push.url).host);
    assert.equal(JSON.stringify(device).includes(phone.endpoint), false, "no endpoint served back");

    const simLead = await deliverLead(server);
    const [message] = await push.waitFor(1);
    const lead = (await server.app.services.leads.getLeadByLeadgenId(simLead.id))!;
    assert.deepEqual(message.payload, {
      title: `New lead: ${simLead.fields.fullName}`,
      body: lead.formName,
      url: `/leads/${lead.id}`,
      tag: `lead-${lead.id}`,
      renotify: true,
    });
    const key = await (await server.fetch("/api/push/key")).json();
    assert.equal(message.vapidKey, key.publicKey, "signed with the key browsers subscribe with");
    assert.equal(message.jwt.aud, push.url);
    assert.ok(message.jwt.exp * 1000 - Date.now() <= 24 * 3600_000, "a JWT lives at most 24 h");
    assert.match(message.jwt.sub, /^(mailto:|https:)/);
    assert.equal(message.headers.get("urgency"), "high");
    assert.equal(message.headers.get("topic"), `lead${lead.id}`);
    assert.ok(Number(message.headers.get("ttl")) > 0);

    // One lead, one notification: nothing more arrives for it.
    await server.app.services.leadEvents.catchUp();
    await server.app.services.jobs.runDue();
    assert.equal(push.received.length, 1);
    assert.deepEqual(push.refused, []);
    // The device's last success is recorded and no personal data or endpoint reaches the logs.
    const [stored] = await listPushSubscriptions(server.kv, server.user.id);
    assert.ok(stored.lastSuccessAt);
    const logs = server.logs.join("\n");
    assert.ok(!logs.includes(simLead.fields.fullName) && !logs.includes(phone.endpoint));
  });
});

Deno.test("[push] the owner hears about a lead; an unowned one goes to everyone on shift; quiet hours hold", async () => {
  await withServer(async (server, push) => {
    const onShift = await server.addUser("agent", { name: "On Shift" });
    const offShift = await server.addUser("agent", { name: "Off Shift" });
    const quiet = await server.addUser("agent", { name: "Quiet" });
    const devices = new Map<string, TestSubscription>();
    for (const user of [server.user, onShift, offShift, quiet]) {
      const subscription = await push.subscribe();
      devices.set(user.id, subscription);
      await subscribe(server, user, subscription);
    }
    const heard = (count: number) =>
      push.waitFor(count).then((all) =>
        all.slice(count - 1).map((m) =>
          [...devices].find(([, s]) => subscriptionIdOf(s.endpoint) === m.id)![0]
        )
      );

    // Nobody on shift: everyone who switched notifications on hears about it.
    await deliverLead(server);
    await push.waitFor(4);
    assert.deepEqual(
      new Set(push.received.map((m) => m.id)),
      new Set([...devices.values()].map((s) => subscriptionIdOf(s.endpoint))),
    );

    // On shift: only those; quiet hours (all day long, here) silence one of them.
    await setOnShift(server.kv, onShift.id, true);
    await setOnShift(server.kv, quiet.id, true);
    const res = await fetch(`${server.url}/api/push/preferences`, {
      method: "PUT",
      headers: { cookie: quiet.cookie, origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({ quietHours: { from: "00:00", until: "23:59" }, timeZone: "UTC" }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    await deliverLead(server);
    assert.deepEqual(await heard(5), [onShift.id]);

    // A hand-entered lead is unowned too: on shift hears (the quiet one still does not).
    const manual = await fetch(`${server.url}/api/leads`, {
      method: "POST",
      headers: { cookie: offShift.cookie, origin: server.url, "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Walk In", phone: "+15555550123", source: "walk-in" }),
    });
    assert.equal(manual.status, 201, await manual.clone().text());
    await manual.body?.cancel();
    assert.deepEqual(await heard(6), [onShift.id]);
    assert.equal(push.received[5].payload.title, "New lead: Walk In");

    // Meta is slow with the details: after a second the lead is announced with what is known,
    // to its owner only (claimed meanwhile), and its name follows, quietly, when it comes.
    const simulator = server.app.services.simulator!;
    // The Graph answer is held until the first announcement has been heard.
    const details = Promise.withResolvers<void>();
    simulator.injectFault({ path: "lead", until: details.promise, times: 1 });
    const slow = await deliverLead(server);
    const stub = await waitFor(
      () => server.app.services.leads.getLeadByLeadgenId(slow.id),
      "the slow lead's stub",
    );
    const claim = await fetch(`${server.url}/api/leads/${stub.id}/claim`, {
      method: "POST",
      headers: { cookie: offShift.cookie, origin: server.url },
    });
    assert.equal(claim.status, 200);
    await claim.body?.cancel();
    assert.deepEqual(await heard(7), [offShift.id]);
    assert.deepEqual(push.received[6].payload, {
      title: "New lead",
      body: "From a Meta lead form; the details are on their way",
      url: `/leads/${stub.id}`,
      tag: `lead-${stub.id}`,
      renotify: true,
    });
    details.resolve();
    assert.deepEqual(await heard(8), [offShift.id]);
    assert.equal(push.received[7].payload.title, `New lead: ${slow.fields.fullName}`);
    assert.equal(push.received[7].payload.tag, `lead-${stub.id}`, "replaces the first one");
    assert.equal(push.received[7].payload.renotify, false, "quietly");

    // An admin gives it to someone else: the new owner hears, nobody else.
    const assign = await server.fetch(`/api/leads/${stub.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ownerId: onShift.id }),
    });
    assert.equal(assign.status, 200);
    await assign.body?.cancel();
    assert.deepEqual(await heard(9), [onShift.id]);
    assert.equal(push.received[8].payload.title, `Lead for you: ${slow.fields.fullName}`);
  });
});

Deno.test("[push] devices the push service calls gone (404, 410) are removed; a 503 is retried", async () => {
  await withServer(async (server, push) => {
    const expired = await push.subscribe();
    const revoked = await push.subscribe();
    const flaky = await push.subscribe();
    for (const subscription of [expired, revoked, flaky]) {
      await subscribe(server, server.user, subscription);
    }
    push.answerAlways(subscriptionIdOf(expired.endpoint), 410);
    push.answerAlways(subscriptionIdOf(revoked.endpoint), 404);
    push.script(subscriptionIdOf(flaky.endpoint), [503, 503]);
    await deliverLead(server);
    // 410 and 404 once each; the flaky one twice refused, then taken.
    const all = await push.waitFor(5);
    assert.deepEqual(
      all.map((m) => [m.id, m.status]).sort(),
      [
        [subscriptionIdOf(expired.endpoint), 410],
        [subscriptionIdOf(flaky.endpoint), 201],
        [subscriptionIdOf(flaky.endpoint), 503],
        [subscriptionIdOf(flaky.endpoint), 503],
        [subscriptionIdOf(revoked.endpoint), 404],
      ].sort(),
    );
    const left = await waitFor(async () => {
      const devices = await listPushSubscriptions(server.kv, server.user.id);
      return devices.length === 1 ? devices : null;
    }, "the gone devices to be removed");
    assert.equal(left[0].endpoint, flaky.endpoint);
    // The retry went only to the device not reached yet.
    await server.app.services.jobs.runDue();
    assert.equal(push.received.length, 5);
  });
});

Deno.test("[push] outside demo mode a subscription must name a public push service (fcm.googleapis.com is one)", async () => {
  const { parsePushSubscription } = await import("../../lib/push/subscriptions.ts");
  const keys = (await makeSubscription("https://x.example/push")).keys;
  const parse = (endpoint: string, allowLocal = false) =>
    parsePushSubscription({ endpoint, keys }, { allowLocal });
  for (
    const endpoint of [
      "https://fcm.googleapis.com/fcm/send/abc:def",
      "https://updates.push.services.mozilla.com/wpush/v2/abc",
      "https://web.push.apple.com/QGx",
      "https://fd.example.com/push",
    ]
  ) assert.equal(parse(endpoint).endpoint, endpoint);
  for (
    const endpoint of [
      "https://127.0.0.1:8443/push",
      "http://127.0.0.1:9000/push",
      "https://10.0.0.5/push",
      "https://192.168.1.2/push",
      "https://[fd00::1]/push",
      "https://localhost/push",
      "https://169.254.169.254/latest",
    ]
  ) assert.throws(() => parse(endpoint), /public push service/, endpoint);
  assert.equal(parse("http://127.0.0.1:9000/push", true).endpoint, "http://127.0.0.1:9000/push");
  assert.throws(() => parse("http://10.0.0.5/push", true), /https/);
});
