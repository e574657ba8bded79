// The server's scheduled check (called directly) raises each alert for everyone and clears it when
// the problem is fixed: token invalid, token expiring, missing permission, unsubscribed page,
// webhook URL not answering. A page's successful fetch does not clear the others.

import assert from "node:assert/strict";
import type { Alert } from "../../lib/wire.ts";
import type { GraphSimulator } from "../../lib/graph_sim/mod.ts";
import { fitForKv } from "../../lib/meta_health/monitor.ts";
import { createTestApp, type TestApp } from "../_helpers/app.ts";
import { DAY_MS, secondsFromNow } from "./_helpers.ts";

async function withDemoApp(
  fn: (app: TestApp, sim: GraphSimulator) => Promise<void>,
  env: Record<string, string> = {},
) {
  const app = await createTestApp({ env });
  try {
    await fn(app, app.app.services.simulator!);
  } finally {
    await app.close();
  }
}

function keys(alerts: Alert[]): string[] {
  return alerts.map((alert) => `${alert.kind}:${alert.pageId ?? "app"}`).sort();
}

async function checkAndList(app: TestApp): Promise<string[]> {
  await app.app.services.metaHealth.check({ trigger: "cron" });
  return keys(await app.app.services.alerts.listAlerts());
}

Deno.test("[meta_health] a healthy demo app: the report is stored and no alert is raised", async () => {
  await withDemoApp(async (app, sim) => {
    const stored = await app.app.services.metaHealth.check({ trigger: "cron" });
    assert.equal(stored.report.status, "ok", JSON.stringify(stored.report.problems));
    assert.equal(stored.report.appId, sim.appId);
    assert.deepEqual(
      stored.report.pages.map((page) => page.pageId).sort(),
      sim.pages.map((p) => p.id).sort(),
    );
    assert.deepEqual(stored.report.tokens.map((token) => token.label), ["demo token"]);
    assert.equal(sim.calls("page_forms"), 0, "the server's check takes forms from the sweeps");
    assert.deepEqual(await app.app.services.metaHealth.last(), stored);
    assert.deepEqual(await app.app.services.alerts.listAlerts(), []);
  });
});

Deno.test("[meta_health] alert: an invalid token is raised for everyone, and cleared once it works", async () => {
  await withDemoApp(async (app, sim) => {
    sim.setToken({ isValid: false });
    assert.deepEqual(await checkAndList(app), ["token_expired:app"]);
    const agent = await app.addUser("agent");
    const page = await app.app.fetch(
      new Request("http://localhost/", { headers: { cookie: agent.cookie } }),
    );
    const html = await page.text();
    assert.match(html, /Token expired<\/strong>: demo token is not valid/, "agents see it too");
    sim.setToken({ isValid: true });
    assert.deepEqual(await checkAndList(app), []);
  });
});

Deno.test("[meta_health] alert: a token expiring within 7 days, cleared when renewed", async () => {
  await withDemoApp(async (app, sim) => {
    sim.setToken({ expiresAt: secondsFromNow(2 * DAY_MS) });
    assert.deepEqual(await checkAndList(app), ["token_expiring:app"]);
    const [alert] = await app.app.services.alerts.listAlerts();
    assert.match(alert.message, /expires in 1 day 23 hours|expires in 2 days/);
    sim.setToken({ expiresAt: secondsFromNow(60 * DAY_MS) });
    assert.deepEqual(await checkAndList(app), []);
  });
});

Deno.test("[meta_health] alert: a missing permission, cleared when granted", async () => {
  await withDemoApp(async (app, sim) => {
    const all = sim.tokenState()!.scopes;
    sim.setToken({ scopes: all.filter((scope) => scope !== "leads_retrieval") });
    assert.deepEqual(await checkAndList(app), ["scope_missing:app"]);
    sim.setToken({ scopes: all });
    assert.deepEqual(await checkAndList(app), []);
  });
});

Deno.test("[meta_health] alert: an unsubscribed page, cleared when subscribed again; a fetch does not clear it", async () => {
  await withDemoApp(async (app, sim) => {
    const pageId = sim.pages[1].id;
    sim.unsubscribePage(pageId);
    assert.deepEqual(await checkAndList(app), [`page_unsubscribed:${pageId}`]);
    const before = (await app.app.services.alerts.listAlerts())[0];
    // The same problem a minute later leaves the alert (and every dashboard) alone.
    await checkAndList(app);
    assert.deepEqual((await app.app.services.alerts.listAlerts())[0], before);
    // A lead fetched for the page proves its token works, not that Meta sends its webhooks.
    assert.equal(await app.app.services.alerts.clearPageAlerts(pageId), 0);
    assert.deepEqual(keys(await app.app.services.alerts.listAlerts()), [
      `page_unsubscribed:${pageId}`,
    ]);
    sim.subscribePage(pageId);
    assert.deepEqual(await checkAndList(app), []);
  });
});

Deno.test("[meta_health] alert: the webhook URL stops answering the handshake, and answers again", async () => {
  let healthy = false;
  let target: TestApp | null = null;
  const proxy = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    if (!healthy || !target) return new Response("Bad gateway", { status: 502 });
    const url = new URL(request.url);
    return target.app.fetch(new Request(`http://localhost${url.pathname}${url.search}`));
  });
  try {
    await withDemoApp(async (app) => {
      target = app;
      assert.deepEqual(await checkAndList(app), ["webhook_unreachable:app"]);
      const stored = await app.app.services.metaHealth.last();
      assert.equal(stored?.report.webhook.httpStatus, 502);
      healthy = true;
      assert.deepEqual(await checkAndList(app), []);
      assert.equal((await app.app.services.metaHealth.last())?.report.webhook.status, "ok");
    }, { PUBLIC_URL: `http://127.0.0.1:${proxy.addr.port}` });
  } finally {
    await proxy.shutdown();
  }
});

Deno.test("[meta_health] Meta not answering keeps the alerts it cannot judge", async () => {
  await withDemoApp(async (app, sim) => {
    const pageId = sim.pages[0].id;
    sim.unsubscribePage(pageId);
    assert.deepEqual(await checkAndList(app), [`page_unsubscribed:${pageId}`]);
    sim.injectFault({ path: "any", status: 503 });
    const stored = await app.app.services.metaHealth.check({ trigger: "cron" });
    assert.equal(stored.report.status, "error");
    assert.ok(stored.report.problems.some((problem) => problem.kind === "graph_unreachable"));
    assert.deepEqual(keys(await app.app.services.alerts.listAlerts()), [
      `page_unsubscribed:${pageId}`,
    ]);
  });
});

Deno.test("[meta_health] a report of hundreds of pages still fits in one KV value", async () => {
  const page = (i: number) => ({
    pageId: String(100000000000000 + i),
    name: `Page number ${i} with a long enough name`,
    tokenLabel: "META_ACCESS_TOKEN",
    status: "ok" as const,
    subscribed: true,
    subscribedFields: ["leadgen"],
    apps: [],
    subscribeResult: null,
    forms: Array.from({ length: 30 }, (_, j) => ({
      id: String(900000000000000 + j),
      name: `Form ${j}`,
      status: "ACTIVE",
    })),
    message: "subscribed to leadgen",
  });
  const stored = fitForKv({
    report: {
      checkedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      appId: "1",
      status: "ok",
      tokens: [],
      pages: Array.from({ length: 400 }, (_, i) => page(i)),
      webhook: { url: null, status: "skipped", httpStatus: null, message: "" },
      problems: [],
      checked: [],
      notes: [],
    },
    loss: { checkedAt: new Date().toISOString(), windowMs: 1, threshold: 2, pages: [] },
    trigger: "cron",
    resumed: 0,
    workingTokens: [],
  });
  assert.ok(stored.report.pages.length > 50, "as many pages as fit are kept");
  assert.match(stored.report.notes.join(" "), /left out/);
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(["meta_health"], stored);
  } finally {
    kv.close();
  }
});
