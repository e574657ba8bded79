import assert from "node:assert/strict";
import { PROMETHEUS_CONTENT_TYPE } from "../../lib/metrics/registry.ts";
import { startTestServer } from "../_helpers/app.ts";
import { type Exposition, parseExposition } from "../_helpers/prometheus.ts";
import { readSse } from "../_helpers/sse.ts";
import { APP_SECRET, postDelivery, waitForSettled, withPipeline } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";

const METRICS_TOKEN = "metrics-test-token-0123456789";

async function scrape(url: string, headers: Record<string, string>): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, { headers });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
  assert.equal(res.headers.get("cache-control"), "no-store");
  return parseExposition(text);
}

/** The value of a sample, 0 when the series does not exist yet. */
function at(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.value(name, labels) ?? 0;
}

Deno.test("[metrics] GET /metrics: 401 without auth or with a wrong token, 403 for an agent", async () => {
  await withPipeline(async ({ server }) => {
    const anonymous = await fetch(`${server.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
    assert.match((await anonymous.json()).error, /METRICS_TOKEN/);

    for (const wrong of [METRICS_TOKEN + "x", METRICS_TOKEN.slice(0, -1), "x".repeat(40)]) {
      const res = await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${wrong}` },
      });
      assert.equal(res.status, 401, wrong);
      assert.match(res.headers.get("www-authenticate") ?? "", /error="invalid_token"/);
      await res.body?.cancel();
    }
    // A wrong token is refused even beside an admin's cookie: the token decides when it is sent.
    const adminWithWrongToken = await fetch(`${server.url}/metrics`, {
      headers: { cookie: server.user.cookie, authorization: "Bearer not-the-token-at-all" },
    });
    assert.equal(adminWithWrongToken.status, 401);
    await adminWithWrongToken.body?.cancel();

    const agent = await server.addUser("agent");
    const asAgent = await fetch(`${server.url}/metrics`, { headers: { cookie: agent.cookie } });
    assert.equal(asAgent.status, 403);
    const body = await asAgent.text();
    assert.ok(!body.includes("leadline_"), "no metrics in the refusal");

    // The scheme is case-insensitive (RFC 7235); an admin's session alone is enough.
    await scrape(server.url, { authorization: `bearer ${METRICS_TOKEN}` });
    await scrape(server.url, { cookie: server.user.cookie });
  }, { env: { METRICS_TOKEN } });
});

Deno.test("[metrics] without METRICS_TOKEN only an admin session reads the metrics", async () => {
  const server = await startTestServer();
  try {
    const res = await fetch(`${server.url}/metrics`, {
      headers: { authorization: "Bearer some-token-of-sixteen" },
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    await scrape(server.url, { cookie: server.user.cookie });
  } finally {
    await server.close();
  }
});

Deno.test("[metrics] counters move after a signed delivery, its fetch, a duplicate and a forgery", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const bearer = { authorization: `Bearer ${METRICS_TOKEN}` };
    const before = await scrape(server.url, bearer);
    const stream = await fetch(`${server.url}/api/events`, {
      headers: { cookie: server.user.cookie, accept: "text/event-stream" },
    });
    assert.equal(stream.status, 200);
    const events = readSse(stream);
    assert.equal((await events.nextEvent())?.event, "ready");
    try {
      const simLead = sim.createLead({ organic: false });
      const body = sim.webhookBody([simLead]);
      assert.equal((await postDelivery(webhookUrl, body)).status, 200);
      const lead = await waitForSettled(server, simLead.id);
      assert.equal(lead.details, "fetched");
      // The fetched lead reached the open stream (as its preview while the answers committed).
      await waitFor(async () => {
        const event = await events.nextEvent();
        const aboutLead = event?.event === "lead" || event?.event === "lead_preview";
        return aboutLead && JSON.parse(event!.data!).details === "fetched" ? true : null;
      }, "the fetched lead on the stream");
      assert.equal((await postDelivery(webhookUrl, body)).status, 200, "a duplicate");
      const forged = await postDelivery(webhookUrl, body, { secret: "not-" + APP_SECRET });
      assert.equal(forged.status, 401);
      const malformed = await postDelivery(webhookUrl, "{not json");
      assert.equal(malformed.status, 400);

      const after = await scrape(server.url, { cookie: server.user.cookie });
      const moved = (name: string, labels: Record<string, string> = {}) =>
        at(after, name, labels) - at(before, name, labels);
      const deliveries = "leadline_webhook_deliveries_total";
      assert.equal(moved(deliveries, { outcome: "ok" }), 1);
      assert.equal(moved(deliveries, { outcome: "duplicate_only" }), 1);
      assert.equal(moved(deliveries, { outcome: "bad_signature" }), 1);
      assert.equal(moved(deliveries, { outcome: "malformed" }), 1);
      assert.equal(moved(deliveries, { outcome: "too_large" }), 0);
      assert.equal(moved("leadline_leads_stored_total", { source: "meta" }), 1);
      assert.equal(moved("leadline_lead_details_total", { outcome: "fetched" }), 1);
      assert.equal(moved("leadline_lead_details_total", { outcome: "failed" }), 0);
      assert.equal(
        moved("leadline_graph_calls_total", { endpoint: "lead", outcome: "ok", code: "" }),
        1,
      );
      assert.equal(
        moved("leadline_graph_call_duration_seconds_count", { endpoint: "lead" }),
        1,
      );
      assert.equal(
        moved("leadline_job_runs_total", { type: "fetch_lead_details", outcome: "success" }),
        1,
      );
      assert.equal(moved("leadline_webhook_to_stored_seconds_count"), 1);
      assert.ok(moved("leadline_webhook_to_stored_seconds_sum") > 0);
      assert.equal(moved("leadline_stored_to_pushed_seconds_count"), 2, "created and updated");
      assert.equal(at(after, "leadline_event_streams_open"), 1);
      assert.equal(at(after, "leadline_jobs_due"), 0);
      assert.ok(at(after, "leadline_process_start_time_seconds") > 1_600_000_000);
      for (const family of after.families.values()) {
        assert.match(family.name, /^leadline_/);
        assert.ok(family.help.length > 10, `${family.name} says what it counts`);
      }

      // No personal data or secrets anywhere in the exposition.
      const text = await (await fetch(`${server.url}/metrics`, { headers: bearer })).text();
      for (
        const secret of [
          simLead.id,
          simLead.fields.email,
          simLead.fields.fullName,
          simLead.fields.phone,
          APP_SECRET,
          METRICS_TOKEN,
          "ingest-test-page-token",
        ]
      ) assert.ok(!text.includes(String(secret)), `the metrics do not hold ${secret}`);
    } finally {
      await events.close();
    }
    const closed = await waitFor(async () => {
      const now = await scrape(server.url, bearer);
      return at(now, "leadline_event_streams_open") === 0 ? now : null;
    }, "the stream gauge to drop");
    assert.equal(at(closed, "leadline_event_streams_open"), 0);
  }, { env: { METRICS_TOKEN } });
});

Deno.test("[metrics] a Graph error is counted with its kind and Meta's code; a failed lead too", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const bearer = { authorization: `Bearer ${METRICS_TOKEN}` };
    const before = await scrape(server.url, bearer);
    sim.injectFault({ path: "lead", code: 190, times: 1 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    assert.equal((await waitForSettled(server, simLead.id)).details, "failed");
    const after = await waitFor(async () => {
      const now = await scrape(server.url, bearer);
      const failed = at(now, "leadline_job_runs_total", {
        type: "fetch_lead_details",
        outcome: "failure",
      });
      return failed > at(before, "leadline_job_runs_total", {
          type: "fetch_lead_details",
          outcome: "failure",
        })
        ? now
        : null;
    }, "the job failure to be counted");
    const moved = (name: string, labels: Record<string, string> = {}) =>
      at(after, name, labels) - at(before, name, labels);
    assert.equal(
      moved("leadline_graph_calls_total", { endpoint: "lead", outcome: "token", code: "190" }),
      1,
    );
    assert.equal(moved("leadline_lead_details_total", { outcome: "failed" }), 1);
  }, { env: { METRICS_TOKEN } });
});

Deno.test("[metrics] a sync counts its sweep, the leads Meta listed and those it stored; a hand-entered lead counts by source", async () => {
  const server = await startTestServer(); // demo mode: the sync sweeps the built-in simulator
  try {
    const before = await scrape(server.url, { cookie: server.user.cookie });
    const sim = server.app.services.simulator!;
    sim.createLead();
    sim.createLead();
    const sync = await server.fetch("/api/leads/sync", { method: "POST" });
    const result = await sync.json();
    assert.equal(result.inserted, 2);
    const added = await server.fetch("/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Walk In", phone: "+15550100", source: "walk-in" }),
    });
    assert.equal(added.status, 201);
    await added.body?.cancel();

    const after = await scrape(server.url, { cookie: server.user.cookie });
    const moved = (name: string, labels: Record<string, string> = {}) =>
      at(after, name, labels) - at(before, name, labels);
    assert.equal(moved("leadline_reconcile_sweeps_total", { outcome: "ok" }), 1);
    assert.equal(moved("leadline_reconcile_leads_scanned_total"), result.scanned);
    assert.equal(moved("leadline_reconcile_leads_inserted_total"), 2);
    assert.equal(moved("leadline_leads_stored_total", { source: "meta" }), 2);
    assert.equal(moved("leadline_leads_stored_total", { source: "walk-in" }), 1);
    assert.ok(
      moved("leadline_graph_calls_total", { endpoint: "{id}/leads", outcome: "ok", code: "" }) >=
        1,
    );
  } finally {
    await server.close();
  }
});
