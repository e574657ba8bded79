// Outbound webhooks against a real receiver on 127.0.0.1: every event of every lead arrives
// signed (the receiver checks the HMAC over "<timestamp>.<body>"), in order per lead, once, even
// when each event is refused twice first or the destination is down for a while; a delivery past
// the give-up time fails, shows in the log and can be resent (the admin API's checks:
// tests/routes/admin_webhooks_test.ts).

import assert from "node:assert/strict";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { signWebhook, verifyWebhook } from "../../lib/outbound/sign.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../_helpers/webhook_receiver.ts";
import { waitFor } from "../_helpers/wait.ts";

const FAST = { OUTBOUND_WEBHOOK_RETRY_MS: "40", JOB_RETRY_DELAY_MS: "40" };

async function addDestination(server: TestServer, receiver: WebhookReceiver, events?: string[]) {
  const res = await server.fetch("/api/admin/webhooks", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      url: receiver.url,
      events: events ?? [
        "lead.created",
        "lead.details_fetched",
        "lead.status_changed",
        "lead.assigned",
      ],
      description: "CRM catch hook",
    }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const body = await res.json();
  receiver.secret = body.secret;
  return body.destination as { id: string; warning: string | null };
}

async function deliverLead(server: TestServer): Promise<SimLead> {
  const simulator = server.app.services.simulator!;
  const lead = simulator.createLead();
  const res = await simulator.deliver([lead], `${server.url}/webhook`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  return lead;
}

async function settledLeadId(server: TestServer, leadgenId: string): Promise<string> {
  const lead = await waitFor(async () => {
    const found = await server.app.services.leads.getLeadByLeadgenId(leadgenId);
    return found?.details === "fetched" ? found : null;
  }, `lead ${leadgenId}'s details`);
  return lead.id;
}

async function patchLead(server: TestServer, id: string, body: Record<string, unknown>) {
  const res = await server.fetch(`/api/leads/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

Deno.test("[outbound] every event of every lead arrives signed, in order per lead, once, though each is refused twice first", async () => {
  const server = await startTestServer({ env: FAST });
  const receiver = startWebhookReceiver();
  try {
    const destination = await addDestination(server, receiver);
    assert.match(destination.warning!, /not encrypted/);
    receiver.failFirst = 2;
    const simLeads = await Promise.all([1, 2, 3, 4, 5].map(() => deliverLead(server)));
    const ids: string[] = [];
    for (const simLead of simLeads) {
      const id = await settledLeadId(server, simLead.id);
      ids.push(id);
      await patchLead(server, id, { status: "contacted" });
      await patchLead(server, id, { ownerId: server.user.id });
      await patchLead(server, id, { status: "qualified" });
    }
    await waitFor(() => receiver.acceptedCount() === 25, "25 accepted events", 30_000);
    for (const [i, id] of ids.entries()) {
      const events = receiver.accepted.get(id)!;
      assert.deepEqual(events.map((event) => event.type), [
        "lead.created",
        "lead.details_fetched",
        "lead.status_changed",
        "lead.assigned",
        "lead.status_changed",
      ], `lead ${id}`);
      assert.deepEqual(events.map((event) => event.attempt), [3, 3, 3, 3, 3]);
      const [created, fetched, contacted, assigned, qualified] = events.map((event) => event.body);
      assert.equal(created.type, "lead.created");
      assert.equal((created.data as { change: unknown }).change !== undefined, true);
      const lead = (fetched.data as { lead: Record<string, unknown> }).lead;
      assert.equal(lead.leadgenId, simLeads[i].id, "Meta ids as exact strings");
      assert.equal(lead.fullName, simLeads[i].fields.fullName);
      assert.equal("timeline" in lead, false);
      assert.deepEqual((contacted.data as { change: unknown }).change, {
        from: "new",
        to: "contacted",
      });
      assert.deepEqual((qualified.data as { change: unknown }).change, {
        from: "contacted",
        to: "qualified",
      });
      assert.equal((assigned.data as { change: { how: string } }).change.how, "claimed");
      assert.equal((assigned.data as { by: string }).by, server.user.name);
    }
    // Every request verified; no event accepted twice; each attempt a separate signature.
    assert.deepEqual(receiver.forged, []);
    assert.equal(receiver.requests.length, 75);
    const log =
      await (await server.fetch(`/api/admin/webhooks/${destination.id}/deliveries?limit=100`))
        .json();
    assert.equal(log.deliveries.length, 25);
    for (const delivery of log.deliveries) {
      assert.equal(delivery.status, "delivered");
      assert.equal(delivery.attempts, 3);
      assert.equal(delivery.lastStatus, 200);
    }
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("[outbound] a destination down for a while gets every event once it is back, still in order", async () => {
  const server = await startTestServer({ env: FAST });
  const receiver = startWebhookReceiver();
  try {
    const destination = await addDestination(server, receiver, [
      "lead.created",
      "lead.status_changed",
    ]);
    receiver.down = true;
    const simLeads = await Promise.all([1, 2, 3].map(() => deliverLead(server)));
    const ids = await Promise.all(simLeads.map((simLead) => settledLeadId(server, simLead.id)));
    for (const id of ids) await patchLead(server, id, { status: "contacted" });
    // Several refused attempts of each lane's first event; the second waits behind it.
    await waitFor(
      () => ids.every((id) => receiver.requests.filter((r) => r.leadId === id).length >= 3),
      "repeated attempts while down",
    );
    assert.ok(receiver.requests.every((r) => r.type === "lead.created"), "nothing jumps the queue");
    const pending = await (await server.fetch(`/api/admin/webhooks/${destination.id}/deliveries`))
      .json();
    const failing = pending.deliveries.find((d: { attempts: number }) => d.attempts > 0);
    assert.equal(failing.status, "pending");
    assert.match(failing.lastError, /503/);
    assert.ok(failing.nextAttemptAt);

    receiver.down = false;
    await waitFor(() => receiver.acceptedCount() === 6, "6 events after recovery", 30_000);
    for (const id of ids) {
      assert.deepEqual(receiver.accepted.get(id)!.map((event) => event.type), [
        "lead.created",
        "lead.status_changed",
      ]);
    }
    assert.deepEqual(receiver.forged, []);
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("[outbound] a delivery still failing at the give-up time fails, shows in the log, and Resend sends it again", async () => {
  const server = await startTestServer({
    env: { ...FAST, OUTBOUND_WEBHOOK_RETRY_MS: "100", OUTBOUND_WEBHOOK_GIVE_UP_MS: "1000" },
  });
  const receiver = startWebhookReceiver();
  try {
    const destination = await addDestination(server, receiver, ["lead.created"]);
    receiver.down = true;
    const simLead = await deliverLead(server);
    const id = await settledLeadId(server, simLead.id);
    const failed = await waitFor(async () => {
      const log = await (await server.fetch(`/api/admin/webhooks/${destination.id}/deliveries`))
        .json();
      return log.deliveries[0]?.status === "failed" ? log.deliveries[0] : null;
    }, "the delivery to fail");
    assert.ok(failed.attempts >= 2);
    assert.equal(failed.leadId, id);

    receiver.down = false;
    const resent = await server.fetch(
      `/api/admin/webhooks/${destination.id}/deliveries/${failed.id}/resend`,
      { method: "POST" },
    );
    assert.equal(resent.status, 201);
    const copy = (await resent.json()).delivery;
    assert.equal(copy.resendOf, failed.id);
    await waitFor(() => receiver.acceptedCount() === 1, "the resent event");
    assert.equal(receiver.accepted.get(id)![0].eventId, failed.eventId, "same event id");
    const log = await (await server.fetch(`/api/admin/webhooks/${destination.id}/deliveries`))
      .json();
    assert.deepEqual(log.deliveries.map((d: { status: string }) => d.status), [
      "delivered",
      "failed",
    ]);
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("[outbound] the signature: a receiver accepts ours and refuses a changed body or an old timestamp", async () => {
  const secret = "whsec_test";
  const body = '{"id":"evt_1","type":"lead.created"}';
  const now = Date.parse("2026-05-01T12:00:00Z");
  const timestamp = now / 1000;
  const signature = await signWebhook(secret, timestamp, body);
  assert.match(signature, /^sha256=[0-9a-f]{64}$/);
  const headers = { signature, timestamp: String(timestamp) };
  assert.deepEqual(await verifyWebhook(secret, headers, body, { nowMs: now + 60_000 }), {
    ok: true,
  });
  assert.equal((await verifyWebhook(secret, headers, body + " ", { nowMs: now })).ok, false);
  assert.equal((await verifyWebhook("other", headers, body, { nowMs: now })).ok, false);
  assert.deepEqual(await verifyWebhook(secret, headers, body, { nowMs: now + 301_000 }), {
    ok: false,
    reason: "timestamp too old",
  });
});

Deno.test("[outbound] an unreachable destination's error keeps its host, never its path (a catch hook's secret)", async () => {
  const server = await startTestServer({ env: FAST });
  const receiver = startWebhookReceiver();
  try {
    const secretPath = `${receiver.url}/s3cr3t-hook-path`;
    const res = await server.fetch("/api/admin/webhooks", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: secretPath, events: ["lead.created"] }),
    });
    const { destination } = await res.json();
    await receiver.close();
    await deliverLead(server);
    const failing = await waitFor(async () => {
      const log = await (await server.fetch(`/api/admin/webhooks/${destination.id}/deliveries`))
        .json();
      return log.deliveries[0]?.lastError ? log.deliveries[0] : null;
    }, "a failed attempt");
    assert.match(failing.lastError, /could not connect/);
    assert.ok(failing.lastError.includes(new URL(receiver.url).host));
    assert.ok(!failing.lastError.includes("s3cr3t"), failing.lastError);
    assert.ok(!server.logs.join("\n").includes("s3cr3t"));
  } finally {
    await server.close();
  }
});
