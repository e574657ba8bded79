// The Settings page and its APIs over HTTP: the report, Check now (form and JSON), the deliveries
// log with refused deliveries (metadata only), replay (JSON and form, recorded), admin only.

import assert from "node:assert/strict";
import {
  listRefusedDeliveries,
  recordRefusedDelivery,
  REFUSAL_SLOTS,
  saveDelivery,
} from "../../lib/leads/deliveries.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { waitFor } from "../_helpers/wait.ts";
import { secondsFromNow } from "../meta_health/_helpers.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function withServer(fn: (server: TestServer) => Promise<void>, env = {}) {
  const server = await startTestServer({ env });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

Deno.test("[settings] admin only: agents get 403 on the page and its APIs; the header links it for admins", async () => {
  await withServer(async (server) => {
    const agent = await server.addUser("agent");
    const as = (path: string, init: RequestInit = {}) =>
      fetch(server.url + path, {
        ...init,
        redirect: "manual",
        headers: { cookie: agent.cookie, origin: server.url, ...init.headers },
      });
    for (
      const [method, path] of [
        ["GET", "/settings"],
        ["GET", "/api/admin/meta-health"],
        ["POST", "/api/admin/meta-health"],
        ["GET", "/api/admin/deliveries"],
        ["POST", "/api/admin/deliveries/01HZZZZZZZZZZZZZZZZZZZZZZZ/replay"],
      ]
    ) {
      const res = await as(path, { method });
      await res.body?.cancel();
      assert.equal(res.status, 403, `${method} ${path}`);
    }
    const agentHome = await (await as("/")).text();
    assert.doesNotMatch(agentHome, /href="\/settings"/);
    const adminHome = await (await server.fetch("/")).text();
    assert.match(adminHome, /<a href="\/settings">Settings<\/a>/);
  });
});

Deno.test("[settings] before a check, Check now as a form (303), then the report with tokens and pages", async () => {
  await withServer(async (server) => {
    const sim = server.app.services.simulator!;
    let html = await (await server.fetch("/settings")).text();
    assert.match(html, /No check has run yet/);
    assert.match(html, /<form method="post" action="\/api\/admin\/meta-health">/);

    sim.setToken({ expiresAt: secondsFromNow(4 * 24 * 3_600_000 + 120_000) });
    sim.unsubscribePage(sim.pages[0].id);
    const res = await server.fetch("/api/admin/meta-health", {
      method: "POST",
      headers: FORM,
      body: "",
      redirect: "manual",
    });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/settings?done=checked");

    html = await (await server.fetch("/settings?done=checked")).text();
    assert.match(html, /Checked Meta just now\./);
    assert.match(html, /data-token-label="demo token"/);
    assert.match(html, /data-token-expires="?[^>]*>[^<]*\(in 4 days\)/);
    assert.match(
      html,
      new RegExp(`data-page-id="${sim.pages[0].id}"[\\s\\S]*?not subscribed to leadgen`),
    );
    assert.match(html, new RegExp(`data-page-id="${sim.pages[1].id}"[\\s\\S]*?>leadgen<`));
    assert.match(html, /Demo mode: these checks run against the built-in Graph API simulator/);

    const json = await (await server.fetch("/api/admin/meta-health")).json();
    assert.equal(json.report.status, "error");
    assert.deepEqual(
      json.report.problems.map((problem: { kind: string }) => problem.kind).sort(),
      ["page_unsubscribed", "token_expiring"],
    );
    const checked = await server.fetch("/api/admin/meta-health", { method: "POST" });
    assert.equal(checked.status, 200);
    assert.equal((await checked.json()).trigger, "manual");
  });
});

Deno.test("[settings] the deliveries log: signed and refused deliveries, replay recorded, no body of a refused one", async () => {
  await withServer(async (server) => {
    const { services } = server.app;
    const sim = services.simulator!;
    const lead = sim.createLead();
    const delivered = await sim.deliver([lead], `${server.url}/webhook`);
    assert.equal(delivered.status, 200);
    await delivered.body?.cancel();
    const secretBody = '{"object":"page","entry":[],"note":"unsigned-body-marker"}';
    const unsigned = await fetch(`${server.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "forger/1.0" },
      body: secretBody,
    });
    assert.equal(unsigned.status, 401);
    await unsigned.body?.cancel();

    const { deliveries } = await (await server.fetch("/api/admin/deliveries")).json();
    assert.equal(deliveries.length, 2);
    const [refused, kept] = deliveries;
    assert.equal(refused.signature, "missing");
    assert.equal(refused.outcome, "refused");
    assert.equal(refused.deliveryId, null);
    assert.equal(refused.bytes, secretBody.length);
    assert.ok(refused.requestId);
    assert.equal(kept.signature, "ok");
    assert.equal(kept.outcome, "accepted");
    assert.equal(kept.leads, 1);
    const stored = await listRefusedDeliveries(services.kv);
    assert.doesNotMatch(JSON.stringify(stored), /unsigned-body-marker/);
    assert.equal(stored[0].userAgent, "forger/1.0");

    await waitFor(async () => {
      const found = await services.leads.getLeadByLeadgenId(lead.id);
      return found?.details === "fetched" ? found : null;
    }, "the lead's details");
    const replay = await server.fetch(`/api/admin/deliveries/${kept.deliveryId}/replay`, {
      method: "POST",
    });
    assert.equal(replay.status, 200);
    const replayed = await replay.json();
    assert.equal(replayed.outcome, "accepted");
    assert.equal(replayed.inserted, 0, "the dedupe makes a replay safe");
    assert.equal(replayed.duplicates, 1);
    const after = (await (await server.fetch("/api/admin/deliveries")).json()).deliveries;
    const record = after.find((entry: { deliveryId: string }) =>
      entry.deliveryId === kept.deliveryId
    );
    assert.equal(record.replays.length, 1);
    assert.equal(record.replays[0].by, "Test Admin");
    assert.equal(record.replays[0].duplicates, 1);

    const html = await (await server.fetch("/settings")).text();
    assert.match(html, /data-signature="missing"[\s\S]*?bad: missing/);
    assert.match(
      html,
      new RegExp(`action="/api/admin/deliveries/${kept.deliveryId}/replay"`),
    );
    assert.match(html, /Replayed once, last [^<]* by Test Admin: 0 new, 1 already stored\./);
  });
});

Deno.test("[settings] a replay stores a lead the first pass did not, and reports a delivery no longer kept", async () => {
  await withServer(async (server) => {
    const { services } = server.app;
    const sim = services.simulator!;
    const lead = sim.createLead();
    // A delivery kept before its leads were stored (as if the store had refused them then).
    const body = new TextEncoder().encode(sim.webhookBody([lead]));
    const record = await saveDelivery(services.kv, body, {
      requestId: "req-original",
      outcome: "accepted",
      leadgenChanges: 1,
      reason: null,
    });
    const res = await server.fetch(`/api/admin/deliveries/${record.id}/replay`, {
      method: "POST",
      headers: FORM,
      body: "",
      redirect: "manual",
    });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/settings?done=replayed#deliveries");
    assert.ok(await services.leads.getLeadByLeadgenId(lead.id), "the replay stored the lead");

    const missing = await server.fetch("/api/admin/deliveries/01HZZZZZZZZZZZZZZZZZZZZZZZ/replay", {
      method: "POST",
    });
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error, /not kept/);
    const missingForm = await server.fetch(
      "/api/admin/deliveries/01HZZZZZZZZZZZZZZZZZZZZZZZ/replay",
      { method: "POST", headers: FORM, body: "", redirect: "manual" },
    );
    await missingForm.body?.cancel();
    assert.equal(missingForm.headers.get("location"), "/settings?done=replay_missing#deliveries");
    const bad = await server.fetch("/api/admin/deliveries?limit=0");
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("[settings] refused deliveries are a bounded ring; too large ones are logged unread", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (let i = 0; i < REFUSAL_SLOTS + 50; i++) {
      await recordRefusedDelivery(kv, {
        requestId: `r${i}`,
        reason: "mismatch",
        bytes: 10,
        address: "203.0.113.9",
        userAgent: "x".repeat(500),
      });
    }
    let count = 0;
    for await (const _ of kv.list({ prefix: ["webhook_refusals"] })) count++;
    assert.equal(count, REFUSAL_SLOTS, "a flood never grows the log");
    const newest = await listRefusedDeliveries(kv, { limit: 1 });
    assert.equal(newest[0].userAgent?.length, 120);
  } finally {
    kv.close();
  }
  await withServer(async (server) => {
    const res = await fetch(`${server.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(2048),
    });
    assert.equal(res.status, 413);
    await res.body?.cancel();
    const { deliveries } = await (await server.fetch("/api/admin/deliveries")).json();
    assert.equal(deliveries[0].signature, "too_large");
    assert.equal(deliveries[0].bytes, 2048);
  }, { WEBHOOK_BODY_LIMIT: "1024" });
});
