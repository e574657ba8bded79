import assert from "node:assert/strict";
import type { Lead } from "../../lib/leads/model.ts";
import { formReturnPath } from "../../lib/web/form_post.ts";
import { createTestApp, type TestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const JSON_HEADERS = { "content-type": "application/json" };
const FORM = { "content-type": "application/x-www-form-urlencoded", accept: "text/html" };
const UNKNOWN_ID = "01HZZZZZZZZZZZZZZZZZZZZZZZ";

async function withLead(fn: (app: TestApp, lead: Lead) => Promise<void>) {
  const app = await createTestApp();
  try {
    const lead = testMetaLead();
    await app.app.services.leads.insertLeads([lead]);
    await fn(app, lead);
  } finally {
    await app.close();
  }
}

function patch(app: TestApp, id: string, body: unknown) {
  return app.fetch(`/api/leads/${id}`, {
    method: "PATCH",
    headers: JSON_HEADERS,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

Deno.test("[e2e] PATCH /api/leads/:id - changes the status, records one change, names who", async () => {
  await withLead(async (app, lead) => {
    const { leads } = app.app.services;
    const head = await leads.getChangeHead();
    const res = await patch(app, lead.id, { status: "contacted" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = await res.json();
    assert.equal(body.id, lead.id);
    assert.equal(body.status, "contacted");
    assert.equal(body.leadgenId, lead.leadgenId, "the Lead JSON as GET serves it");
    assert.equal(typeof body.firstContactAt, "string");
    assert.deepEqual(
      { ...body.timeline.at(-1), at: undefined },
      { at: undefined, event: "status changed", detail: "new → contacted", by: "Test Admin" },
    );
    assert.equal(await leads.getChangeHead(), head + 1);
    const { changes } = await leads.listChangesSince(head);
    assert.equal(changes[0].lead.status, "contacted");

    // The same status again: 200 with the lead as it is, nothing recorded.
    const same = await patch(app, lead.id, { status: "contacted" });
    assert.equal(same.status, 200);
    const sameBody = await same.json();
    assert.equal(sameBody.status, "contacted");
    assert.equal(sameBody.timeline.length, body.timeline.length);
    assert.equal(await leads.getChangeHead(), head + 1, "no change record when unchanged");

    // GET serves the new status and the added field.
    const got = await (await app.fetch(`/api/leads/${lead.id}`)).json();
    assert.equal(got.status, "contacted");
    assert.equal(got.firstContactAt, body.firstContactAt);
  });
});

Deno.test("[e2e] PATCH /api/leads/:id - 400 with a reason, 404 for an unknown lead", async () => {
  await withLead(async (app, lead) => {
    const cases: [unknown, RegExp][] = [
      [{ status: "called" }, /"called" is not one of new, contacted, qualified, won, lost/],
      [
        { status: "won", fullName: "Mallory" },
        /only "status" and "ownerId" can be changed here, not "fullName"/,
      ],
      [{}, /no "status"/],
      ["[1]", /expected a JSON object/],
      ["{oops", /not valid JSON/],
    ];
    for (const [body, reason] of cases) {
      const res = await patch(app, lead.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.match((await res.json()).error, reason);
    }
    const stored = await app.app.services.leads.getLead(lead.id);
    assert.equal(stored?.status, "new");
    assert.equal(stored?.fullName, null);

    const missing = await patch(app, UNKNOWN_ID, { status: "won" });
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error, new RegExp(`No lead has the id ${UNKNOWN_ID}`));
  });
});

Deno.test("[e2e] POST /api/leads/:id/status - a form post changes it and comes back with 303", async () => {
  await withLead(async (app, lead) => {
    const post = (status: string, headers: Record<string, string> = {}) =>
      app.fetch(`/api/leads/${lead.id}/status`, {
        method: "POST",
        headers: { ...FORM, ...headers },
        body: new URLSearchParams({ status }).toString(),
        redirect: "manual",
      });

    const fromPage = await post("contacted");
    assert.equal(fromPage.status, 303);
    assert.equal(fromPage.headers.get("location"), `/leads/${lead.id}`);
    const stored = await app.app.services.leads.getLead(lead.id);
    assert.equal(stored?.status, "contacted");
    const timeline = await app.app.services.leads.listTimeline(lead.id);
    assert.equal(timeline.events.at(-1)?.by, "Test Admin");

    // From our own dashboard: back to the dashboard (and its page of older leads).
    const fromDashboard = await post("qualified", { referer: "http://localhost/" });
    assert.equal(fromDashboard.status, 303);
    assert.equal(fromDashboard.headers.get("location"), "/");
    const fromOlder = await post("won", { referer: "http://localhost/?cursor=1_X" });
    assert.equal(fromOlder.headers.get("location"), "/?cursor=1_X");
    assert.equal((await app.app.services.leads.getLead(lead.id))?.status, "won");

    // An unknown status is refused with the reason; nothing changes.
    const bad = await post("called");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /"called" is not one of/);
    assert.equal((await app.app.services.leads.getLead(lead.id))?.status, "won");

    // An unknown lead lands on its page, which says it is not there.
    const missing = await app.fetch(`/api/leads/${UNKNOWN_ID}/status`, {
      method: "POST",
      headers: FORM,
      body: "status=won",
      redirect: "manual",
    });
    assert.equal(missing.status, 303);
    assert.equal(missing.headers.get("location"), `/leads/${UNKNOWN_ID}`);

    // Another site's form cannot change it (the global CSRF check).
    const forged = await post("lost", { origin: "https://evil.example" });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    assert.equal((await app.app.services.leads.getLead(lead.id))?.status, "won");
  });
});

Deno.test("[web] formReturnPath - only our own dashboard, else the fallback", () => {
  const origin = "https://leads.example.com";
  const fallback = "/leads/X";
  assert.equal(formReturnPath(null, origin, fallback), fallback);
  assert.equal(formReturnPath("https://leads.example.com/", origin, fallback), "/");
  assert.equal(
    formReturnPath("https://leads.example.com/?cursor=a b", origin, fallback),
    "/?cursor=a%20b",
  );
  assert.equal(formReturnPath("https://leads.example.com/?x=1", origin, fallback), "/");
  assert.equal(formReturnPath("https://leads.example.com/team", origin, fallback), fallback);
  assert.equal(formReturnPath("https://evil.example/", origin, fallback), fallback);
  assert.equal(formReturnPath("http://leads.example.com/", origin, fallback), fallback);
  assert.equal(formReturnPath("not a url", origin, fallback), fallback);
});
