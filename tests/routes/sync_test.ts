import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { reconcileCronHandler } from "../../lib/reconcile/cron.ts";
import type { SyncResult } from "../../lib/wire.ts";
import { createTestApp, startTestServer } from "../_helpers/app.ts";
import { readSse } from "../_helpers/sse.ts";

const JSON_HEADERS = { "content-type": "application/json" };

function postJson(path: string, body: unknown): [string, RequestInit] {
  return [path, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) }];
}

Deno.test("[e2e] POST /api/leads/sync finds leads the demo simulator never delivered", async () => {
  const t = await createTestApp();
  try {
    const sim = t.app.services.simulator!;
    const held = [sim.createLead(), sim.createLead({ pageId: sim.pages[1].id }), sim.createLead()];
    const res = await t.fetch("/api/leads/sync", { method: "POST" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const result: SyncResult = await res.json();
    assert.deepEqual(Object.keys(result).sort(), [
      "finishedAt",
      "forms",
      "inserted",
      "scanned",
      "skipped",
      "startedAt",
    ]);
    assert.equal(result.inserted, 3);
    assert.equal(result.skipped, false);

    const list = await (await t.fetch("/api/leads")).json();
    assert.deepEqual(
      new Set(list.leads.map((lead: Lead) => lead.leadgenId)),
      new Set(held.map((lead) => lead.id)),
    );
    assert.ok(list.leads.every((lead: Lead) => lead.details === "fetched" && lead.fullName));
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] ten concurrent POST /api/leads/sync cause one sweep", async () => {
  const t = await createTestApp();
  try {
    const sim = t.app.services.simulator!;
    sim.createLead();
    sim.resetCalls();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.fetch("/api/leads/sync", { method: "POST" })),
    );
    const results: SyncResult[] = await Promise.all(responses.map((res) => res.json()));
    assert.ok(responses.every((res) => res.status === 200));
    assert.equal(sim.calls("page_forms"), sim.pages.length, "one form discovery per page");
    const formCount = sim.pages.reduce((n, page) => n + page.forms.length, 0);
    assert.equal(sim.calls("form_leads"), formCount, "each form listed once");
    assert.equal(results.reduce((n, result) => n + result.inserted, 0), 10, "all share one result");

    const later: SyncResult = await (await t.fetch("/api/leads/sync", { method: "POST" })).json();
    assert.equal(later.skipped, true, "within the minimum interval");
    assert.equal(sim.calls("page_forms"), sim.pages.length);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] the app's cron handler sweeps the demo simulator", async () => {
  const t = await createTestApp();
  try {
    const sim = t.app.services.simulator!;
    const lead = sim.createLead();
    const result = await reconcileCronHandler(t.app.services.reconciler)();
    assert.equal(result.inserted, 1);
    assert.ok(await t.app.services.leads.getLeadByLeadgenId(lead.id));
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] a token error during sync raises a dashboard alert naming the page", async () => {
  const t = await createTestApp();
  try {
    const sim = t.app.services.simulator!;
    const other = sim.createLead({ pageId: sim.pages[1].id });
    sim.injectFault({ path: "page_forms", code: 190, times: 1 });
    const result: SyncResult = await (await t.fetch("/api/leads/sync", { method: "POST" })).json();
    const refused = sim.pages[0].id;
    assert.match(result.error ?? "", new RegExp(`Page ${refused}: Meta refused the access token`));
    assert.equal(result.inserted, 1, "the other page is still swept");
    assert.ok(await t.app.services.leads.getLeadByLeadgenId(other.id));
    const alerts = await t.app.services.alerts.listAlerts();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].kind, "token_expired");
    assert.equal(alerts[0].pageId, refused);
    assert.match(alerts[0].message, /Cannot sync leads of page/);
    const status = await t.app.services.reconciler.status();
    assert.deepEqual(status.pageProblems.map((p) => [p.pageId, p.kind]), [[refused, "token"]]);
    assert.ok(!t.logs.some((line) => line.includes(t.app.services.webhook.appSecret)));
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] a permission error on a form listing raises a permission alert", async () => {
  const t = await createTestApp({ env: { SYNC_MIN_INTERVAL_SECONDS: "0" } });
  try {
    const sim = t.app.services.simulator!;
    sim.injectFault({ path: "form_leads", code: 200, times: 1 });
    await t.fetch("/api/leads/sync", { method: "POST" }).then((res) => res.body?.cancel());
    const alerts = await t.app.services.alerts.listAlerts();
    assert.deepEqual(alerts.map((a) => a.kind), ["permission_denied"]);

    // The next sweep reaches the page again: its alert clears.
    await t.fetch("/api/leads/sync", { method: "POST" }).then((res) => res.body?.cancel());
    assert.deepEqual(await t.app.services.alerts.listAlerts(), []);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] POST /api/leads answers 400 with a reason per field", async () => {
  const t = await createTestApp({ env: { DEFAULT_PHONE_COUNTRY: "US" } });
  try {
    const res = await t.fetch(...postJson("/api/leads", { phone: "12", source: "fax" }));
    assert.equal(res.status, 400);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const body = await res.json();
    assert.match(body.error, /Cannot add lead/);
    assert.deepEqual(Object.keys(body.fields).sort(), ["fullName", "phone", "source"]);
    assert.equal(body.fields.fullName, "Give the lead's name.");
    assert.equal(body.fields.phone, "The phone number must have 10 digits (area code and number).");

    const notJson = await t.fetch("/api/leads", {
      method: "POST",
      headers: JSON_HEADERS,
      body: "{",
    });
    assert.equal(notJson.status, 400);
    await notJson.body?.cancel();
    assert.equal(await t.app.services.leads.getChangeHead(), 0, "nothing stored");
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] POST /api/leads takes the phone's country per lead (phoneCountry), else the default", async () => {
  const t = await createTestApp();
  try {
    const add = async (body: Record<string, unknown>) =>
      await t.fetch(...postJson("/api/leads", { fullName: "Dana", source: "phone", ...body }));
    // No DEFAULT_PHONE_COUNTRY: a national number is kept as typed (the form says so).
    assert.equal((await (await add({ phone: "020 7946 0958" })).json()).phone, "02079460958");
    const gb = await add({ phone: "020 7946 0958", phoneCountry: "GB" });
    assert.equal(gb.status, 201);
    assert.equal((await gb.json()).phone, "+442079460958");
    assert.equal(
      (await (await add({ phone: "030 1234567", phoneCountry: "de" })).json()).phone,
      "+49301234567",
    );
    const bad = await add({ phone: "020 7946 0958", phoneCountry: "XX" });
    assert.equal(bad.status, 400);
    assert.deepEqual((await bad.json()).fields, {
      phoneCountry:
        "Choose the phone number's country from the list, or none to keep the number as typed.",
    });
  } finally {
    await t.close();
  }
  const us = await createTestApp({ env: { DEFAULT_PHONE_COUNTRY: "US" } });
  try {
    const add = async (body: Record<string, unknown>) =>
      await (await us.fetch(
        ...postJson("/api/leads", { fullName: "Dana", source: "phone", ...body }),
      ))
        .json();
    assert.equal((await add({ phone: "(415) 555-0142" })).phone, "+14155550142", "the default");
    assert.equal((await add({ phone: "(415) 555-0142", phoneCountry: "" })).phone, "4155550142");
  } finally {
    await us.close();
  }
});

Deno.test("[e2e] POST /api/leads needs a signed-in user", async () => {
  const t = await createTestApp();
  try {
    const res = await t.app.fetch(
      new Request("http://localhost/api/leads", {
        method: "POST",
        headers: { ...JSON_HEADERS, origin: "http://localhost" },
        body: JSON.stringify({ fullName: "X", phone: "+14155550100", source: "phone" }),
      }),
    );
    assert.equal(res.status, 401);
    await res.body?.cancel();
    assert.equal(await t.app.services.leads.getChangeHead(), 0);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] a hand-entered lead is stored, flagged when it matches a Meta lead, and pushed to open streams", async () => {
  const t = await startTestServer({ env: { DEFAULT_PHONE_COUNTRY: "US" } });
  try {
    const sim = t.app.services.simulator!;
    const meta = sim.createLead({
      fields: { fullName: "Dana Meta", phone: "+14155550142", email: "dana@example.com" },
    });
    await (await t.fetch("/api/leads/sync", { method: "POST" })).json();
    const metaLead = (await t.app.services.leads.getLeadByLeadgenId(meta.id))!;

    const stream = await t.fetch(`/api/events?since=${await t.app.services.leads.getChangeHead()}`);
    assert.equal(stream.status, 200);
    const events = readSse(stream);
    try {
      assert.equal((await events.nextEvent())?.event, "ready");
      const res = await t.fetch(...postJson("/api/leads", {
        fullName: "Dana Smith",
        phone: "(415) 555-0142",
        source: "walk-in",
        notes: "Came in for a test drive",
      }));
      assert.equal(res.status, 201);
      const lead: Lead = await res.json();
      assert.equal(res.headers.get("location"), `/api/leads/${lead.id}`);
      assert.equal(lead.source, "walk-in");
      assert.equal(lead.phone, "+14155550142");
      assert.equal(lead.fullName, "Dana Smith");
      assert.equal(lead.notes, "Came in for a test drive");
      assert.equal(lead.possibleDuplicateOf, metaLead.id);
      assert.equal(lead.status, "new");
      assert.equal(lead.details, "fetched");

      let pushed = await events.nextEvent();
      while (pushed?.event === "heartbeat") pushed = await events.nextEvent();
      assert.equal(pushed?.event, "lead");
      assert.equal(JSON.parse(pushed!.data!).id, lead.id);

      const got = await (await t.fetch(`/api/leads/${lead.id}`)).json();
      assert.equal(got.possibleDuplicateOf, metaLead.id);
    } finally {
      await events.close();
    }
  } finally {
    await t.close();
  }
});

Deno.test("[config] reconcile settings and DEFAULT_PHONE_COUNTRY are read and checked", () => {
  const config = loadConfig({
    RECONCILE_EVERY_MINUTES: "5",
    RECONCILE_OVERLAP_MINUTES: "20",
    SYNC_MIN_INTERVAL_SECONDS: "30",
    BACKFILL_DAYS: "30",
    DEFAULT_PHONE_COUNTRY: "gb",
  });
  assert.deepEqual(config.reconcile, {
    everyMinutes: 5,
    overlapMs: 20 * 60_000,
    minIntervalMs: 30_000,
    backfillDays: 30,
  });
  assert.equal(config.defaultPhoneCountry, "GB");
  const defaults = loadConfig({});
  assert.deepEqual(defaults.reconcile, {
    everyMinutes: 15,
    overlapMs: 10 * 60_000,
    minIntervalMs: 60_000,
    backfillDays: 90,
  });
  assert.equal(defaults.defaultPhoneCountry, null);
  assert.throws(() => loadConfig({ DEFAULT_PHONE_COUNTRY: "XX" }), /DEFAULT_PHONE_COUNTRY/);
  assert.throws(() => loadConfig({ RECONCILE_EVERY_MINUTES: "60" }), /RECONCILE_EVERY_MINUTES/);
});

Deno.test("[e2e] live mode sweeps pages added in settings and pages leads arrived from", async () => {
  const sim = await startGraphSimulator({ appSecret: "live-secret", accessToken: "live-token" });
  const t = await createTestApp({
    env: {
      META_APP_SECRET: "live-secret",
      META_VERIFY_TOKEN: "verify",
      META_ACCESS_TOKEN: "live-token",
      GRAPH_API_BASE: sim.url,
      SYNC_MIN_INTERVAL_SECONDS: "0",
    },
  });
  try {
    const [pageA, pageB] = sim.pages;
    const fromSettings = sim.createLead({ pageId: pageA.id });
    const fromLeadPage = sim.createLead({ pageId: pageB.id });
    // No page configured yet and no lead stored: nothing to sweep.
    const empty: SyncResult = await (await t.fetch("/api/leads/sync", { method: "POST" })).json();
    assert.equal(empty.forms, 0);
    assert.equal(sim.calls("page_forms"), 0);

    const bad = await t.fetch(...postJson("/api/admin/pages", { pageId: "12x" }));
    assert.equal(bad.status, 400);
    assert.deepEqual((await bad.json()).fields, {
      pageId: "A page id is a number: digits only, e.g. 104538291876543.",
    });
    const added = await t.fetch(...postJson("/api/admin/pages", { pageId: pageA.id }));
    assert.equal(added.status, 201);
    await added.body?.cancel();
    // A webhook lead from page B (as ingestion stores it) makes page B known.
    const stub = newMetaLead({
      leadgenId: "777000111",
      pageId: pageB.id,
      formId: pageB.forms[0].id,
      adId: null,
      adgroupId: null,
      createdTime: null,
    }, new Date());
    await t.app.services.leads.insertLeads([stub]);

    const agent = await t.addUser("agent");
    const forbidden = await t.fetch("/api/admin/pages", { headers: { cookie: agent.cookie } });
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();
    const pages = await (await t.fetch("/api/admin/pages")).json();
    assert.deepEqual(pages.fromLeads, [pageB.id]);
    assert.deepEqual(pages.settings.map((page: { pageId: string }) => page.pageId), [pageA.id]);

    const result: SyncResult = await (await t.fetch("/api/leads/sync", { method: "POST" })).json();
    assert.equal(result.error, undefined);
    assert.equal(result.inserted, 2);
    assert.ok(await t.app.services.leads.getLeadByLeadgenId(fromSettings.id));
    assert.ok(await t.app.services.leads.getLeadByLeadgenId(fromLeadPage.id));

    const removed = await t.fetch(`/api/admin/pages/${pageA.id}`, { method: "DELETE" });
    assert.equal(removed.status, 204);
    const again = await t.fetch(`/api/admin/pages/${pageA.id}`, { method: "DELETE" });
    assert.equal(again.status, 404);
    await again.body?.cancel();
  } finally {
    await t.close();
    await sim.close();
  }
});
