// The Meta health checks against the Graph simulator: healthy, expired, expiring, unsubscribed,
// missing scope, no app id, the webhook handshake, and no secret anywhere in the report.

import assert from "node:assert/strict";
import { webhookUrlOf } from "../../lib/meta_health/check.ts";
import {
  APP_SECRET,
  DAY_MS,
  healthFixture,
  problemKeys,
  secondsFromNow,
  TOKEN,
  VERIFY_TOKEN,
} from "./_helpers.ts";

Deno.test("[meta_health] healthy: token, pages found through /me/accounts, subscriptions, forms, webhook", async () => {
  const fx = await healthFixture();
  try {
    const report = await fx.check();
    assert.equal(report.status, "ok", JSON.stringify(report.problems));
    assert.deepEqual(report.problems, []);
    const [token] = report.tokens;
    assert.equal(token.status, "ok");
    assert.equal(token.type, "SYSTEM_USER");
    assert.equal(token.expiresAt, "never");
    assert.deepEqual(token.missingScopes, []);
    assert.deepEqual(report.pages.map((page) => page.pageId), fx.sim.pages.map((p) => p.id).sort());
    for (const page of report.pages) {
      assert.equal(page.status, "ok");
      assert.equal(page.subscribed, true);
      assert.ok(page.name);
      const simPage = fx.sim.pages.find((p) => p.id === page.pageId)!;
      assert.deepEqual(page.forms?.map((form) => form.id), simPage.forms.map((form) => form.id));
    }
    assert.equal(report.webhook.status, "ok");
    assert.match(report.notes.join(" "), /No pages are known yet/);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] an expired token is an error on the token and on its pages", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ expiresAt: secondsFromNow(-2 * 60 * 60 * 1000) });
    const report = await fx.check({ pageIds: [fx.sim.pages[0].id] });
    assert.equal(report.status, "error");
    assert.equal(report.tokens[0].status, "error");
    assert.equal(report.tokens[0].valid, false);
    assert.match(report.tokens[0].message, /expired 2 hours ago/);
    assert.deepEqual(problemKeys(report), ["token_expired:app"]);
    assert.equal(report.pages[0].status, "error");
    assert.equal(report.pages[0].subscribed, null, "a refused token cannot tell");
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] a token expiring within 7 days is a warning with the time left", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ expiresAt: secondsFromNow(3 * DAY_MS + 60_000) });
    const report = await fx.check();
    assert.equal(report.status, "warning");
    assert.equal(report.tokens[0].status, "warning");
    assert.match(report.tokens[0].message, /expires in 3 days/);
    assert.deepEqual(problemKeys(report), ["token_expiring:app"]);

    fx.sim.setToken({ expiresAt: secondsFromNow(30 * DAY_MS) });
    const later = await fx.check();
    assert.equal(later.status, "ok", "an expiry a month away is fine");
    assert.ok(later.checked.some((s) => s.kind === "token_expiring" && s.pageId === null));
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] an unsubscribed page is an error; subscribe fixes it", async () => {
  const fx = await healthFixture();
  try {
    const pageId = fx.sim.pages[1].id;
    fx.sim.unsubscribePage(pageId);
    const report = await fx.check();
    assert.equal(report.status, "error");
    assert.deepEqual(problemKeys(report), [`page_unsubscribed:${pageId}`]);
    const page = report.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.subscribed, false);
    assert.match(report.problems[0].message, /meta:check --subscribe/);

    const fixed = await fx.check({ subscribe: true });
    assert.equal(fixed.status, "ok");
    const after = fixed.pages.find((item) => item.pageId === pageId)!;
    assert.equal(after.subscribeResult, "subscribed");
    assert.equal(after.subscribed, true);
    assert.ok(fx.sim.subscribedApps(pageId).some((app) => app.id === fx.sim.appId));
    const untouched = fixed.pages.find((item) => item.pageId !== pageId)!;
    assert.equal(untouched.subscribeResult, null, "a subscribed page is left alone");
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] a missing permission is named", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({
      scopes: ["pages_show_list", "pages_read_engagement", "pages_manage_metadata"],
    });
    const report = await fx.check();
    assert.equal(report.status, "error");
    assert.deepEqual(report.tokens[0].missingScopes, ["leads_retrieval"]);
    assert.deepEqual(problemKeys(report), ["scope_missing:app"]);
    assert.match(report.problems[0].message, /lacks the permission leads_retrieval/);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] without an app id the token is not judged by debug_token but by its pages", async () => {
  const fx = await healthFixture();
  try {
    const report = await fx.check({ appId: null });
    assert.equal(report.status, "ok");
    assert.equal(report.tokens[0].status, "skipped");
    assert.match(report.tokens[0].message, /META_APP_ID/);
    assert.match(report.notes.join(" "), /META_APP_ID is not set/);
    assert.equal(fx.sim.calls("debug_token"), 0);

    fx.sim.setToken({ isValid: false });
    const revoked = await fx.check({ appId: null });
    assert.equal(revoked.tokens[0].status, "error");
    assert.deepEqual(problemKeys(revoked), ["token_expired:app"]);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] a wrong app secret is reported as the app's credentials", async () => {
  const fx = await healthFixture();
  try {
    const report = await fx.check({ appId: "1999999999999" });
    assert.deepEqual(problemKeys(report).filter((key) => key.startsWith("app_")), [
      "app_credentials:app",
    ]);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] the webhook handshake: wrong verify token, nothing listening, not set", async () => {
  const fx = await healthFixture();
  try {
    const wrong = await fx.check({ webhook: { url: fx.webhookUrl, verifyToken: "not-ours" } });
    assert.equal(wrong.webhook.status, "error");
    assert.equal(wrong.webhook.httpStatus, 403);
    assert.deepEqual(problemKeys(wrong), ["webhook_unreachable:app"]);
    assert.doesNotMatch(JSON.stringify(wrong), /not-ours/);

    const closed = await fx.check({
      webhook: { url: "http://127.0.0.1:9/webhook", verifyToken: VERIFY_TOKEN },
    });
    assert.equal(closed.webhook.status, "error");
    assert.match(closed.webhook.message, /does not answer/);
    assert.doesNotMatch(JSON.stringify(closed), new RegExp(VERIFY_TOKEN));

    const unset = await fx.check({ webhook: { url: null, verifyToken: VERIFY_TOKEN } });
    assert.equal(unset.webhook.status, "skipped");
    assert.equal(unset.status, "ok");
    assert.match(unset.webhook.message, /PUBLIC_URL/);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] no token, app secret or page token appears in a report", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ isValid: false });
    const reports = [await fx.check(), await fx.check({ appId: null })];
    fx.sim.setToken({ isValid: true, expiresAt: secondsFromNow(DAY_MS) });
    reports.push(await fx.check({ subscribe: true }));
    for (const report of reports) {
      const text = JSON.stringify(report);
      assert.doesNotMatch(text, new RegExp(TOKEN));
      assert.doesNotMatch(text, new RegExp(APP_SECRET));
      assert.doesNotMatch(text, /EAAsimpage/);
    }
  } finally {
    await fx.close();
  }
});

Deno.test("[meta_health] PUBLIC_URL becomes the webhook URL", () => {
  assert.equal(webhookUrlOf("https://leads.example.com"), "https://leads.example.com/webhook");
  assert.equal(webhookUrlOf("https://example.com/crm/"), "https://example.com/crm/webhook");
  assert.equal(webhookUrlOf("https://example.com/webhook"), "https://example.com/webhook");
});
