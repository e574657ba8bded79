import assert from "node:assert/strict";
import { saveDelivery } from "../../lib/leads/deliveries.ts";
import { createTestApp } from "../_helpers/app.ts";
import { postDelivery, withPipeline } from "../_helpers/pipeline.ts";

async function ready(fetchApp: (req: Request) => Promise<Response>) {
  const res = await fetchApp(new Request("http://localhost/health/ready"));
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  return { status: res.status, body: await res.json() };
}

Deno.test("[health] GET /health/ready is 200 with the backlog, the last webhook and the alerts", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const fetchApp = (req: Request) => server.app.fetch(req);
    const first = await ready(fetchApp);
    assert.equal(first.status, 200);
    assert.equal(first.body.ok, true);
    assert.equal(first.body.status, "ready");
    assert.equal(first.body.reasons, undefined);
    assert.equal(first.body.kv, "ok");
    assert.deepEqual(first.body.jobs, {
      due: 0,
      capped: false,
      oldestDueAgeSeconds: null,
      maxDelaySeconds: 300,
    });
    assert.deepEqual(first.body.webhook, { lastReceivedAt: null, ageSeconds: null });
    assert.deepEqual(first.body.alerts, { count: 0, kinds: {} });

    const before = Date.now();
    const simLead = sim.createLead();
    assert.equal((await postDelivery(webhookUrl, sim.webhookBody([simLead]))).status, 200);
    await server.app.services.alerts.setAlert({
      kind: "token_expired",
      pageId: simLead.pageId,
      message: "Meta refused the token",
    });
    const after = await ready(fetchApp);
    assert.equal(after.status, 200, "an alert is reported, not held against readiness");
    assert.ok(Date.parse(after.body.webhook.lastReceivedAt) >= before - 1000);
    assert.equal(typeof after.body.webhook.ageSeconds, "number");
    assert.deepEqual(after.body.alerts, { count: 1, kinds: { token_expired: 1 } });
    const text = JSON.stringify(after.body);
    assert.ok(!text.includes(simLead.id) && !text.includes(simLead.pageId), "no ids in it");
  });
});

Deno.test("[health] GET /health/ready is 503 while a job waits past READY_MAX_JOB_DELAY_SECONDS", async () => {
  const { app, kv, close } = await createTestApp({ env: { READY_MAX_JOB_DELAY_SECONDS: "60" } });
  try {
    // A stuck runner: nothing takes the job that came due two minutes ago.
    await app.services.jobs.stop();
    const op = kv.atomic();
    app.services.jobs.addJob(op, {
      type: "stuck_test_job",
      key: "one",
      payload: {},
      dueAt: Date.now() - 120_000,
    });
    assert.ok((await op.commit()).ok);
    const stuck = await ready((req) => app.fetch(req));
    assert.equal(stuck.status, 503);
    assert.equal(stuck.body.ok, false);
    assert.equal(stuck.body.status, "not_ready");
    assert.equal(stuck.body.jobs.due, 1);
    assert.ok(stuck.body.jobs.oldestDueAgeSeconds >= 120);
    assert.equal(stuck.body.jobs.maxDelaySeconds, 60);
    assert.match(
      stuck.body.reasons[0],
      /waited \d+ s to run, more than READY_MAX_JOB_DELAY_SECONDS/,
    );

    // Liveness is not readiness: the process is alive and KV writes.
    const live = await app.fetch(new Request("http://localhost/health"));
    assert.equal(live.status, 200);
    await live.body?.cancel();
  } finally {
    await close();
  }

  const off = await createTestApp({ env: { READY_MAX_JOB_DELAY_SECONDS: "0" } });
  try {
    await off.app.services.jobs.stop();
    const op = off.kv.atomic();
    off.app.services.jobs.addJob(op, {
      type: "stuck_test_job",
      key: "one",
      payload: {},
      dueAt: Date.now() - 3_600_000,
    });
    await op.commit();
    const result = await ready((req) => off.app.fetch(req));
    assert.equal(result.status, 200, "0 turns the job check off");
    assert.equal(result.body.jobs.due, 1);
  } finally {
    await off.close();
  }
});

Deno.test("[health] GET /health/ready: an old last webhook is only reported; KV down is 503", async () => {
  const kv = await Deno.openKv(":memory:");
  const { app, close } = await createTestApp({ kv });
  try {
    const dayAgo = new Date(Date.now() - 24 * 60 * 60 * 1000);
    await saveDelivery(kv, new TextEncoder().encode("{}"), {
      requestId: null,
      outcome: "ignored",
      leadgenChanges: 0,
      reason: null,
    }, { now: () => dayAgo });
    const quiet = await ready((req) => app.fetch(req));
    assert.equal(quiet.status, 200);
    assert.equal(quiet.body.webhook.lastReceivedAt, dayAgo.toISOString());
    assert.ok(quiet.body.webhook.ageSeconds >= 24 * 60 * 60);

    kv.close();
    const down = await ready((req) => app.fetch(req));
    assert.equal(down.status, 503);
    assert.equal(down.body.kv, "error");
    assert.match(down.body.reasons[0], /^KV cannot write: /);
    assert.equal(down.body.jobs, null);
  } finally {
    await close();
  }
});
