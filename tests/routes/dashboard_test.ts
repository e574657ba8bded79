import assert from "node:assert/strict";
import { testMetaLead } from "../_helpers/leads.ts";
import { applyLeadDetails, type Lead, markLeadDetailsFailed } from "../../lib/leads/model.ts";
import { createTestApp, type TestApp } from "../_helpers/app.ts";

async function fetchedLead(t: TestApp, createdTime: number, name: string): Promise<Lead> {
  const lead = applyLeadDetails(testMetaLead({ createdTime }), {
    fullName: name,
    email: "dana@example.com",
    phone: "+1 (555) 010-0000",
    formName: "Spring test drive form",
    adName: "Spring ad",
    campaignName: "Spring campaign",
    answers: [{ name: "full_name", values: [name] }, { name: "car", values: ["Hatchback"] }],
  }, new Date());
  await t.app.services.leads.insertLeads([lead]);
  return lead;
}

async function html(t: TestApp, path: string): Promise<{ status: number; body: string }> {
  const res = await t.fetch(path, { headers: { accept: "text/html" } });
  return { status: res.status, body: await res.text() };
}

function rowIds(body: string): string[] {
  return [...body.matchAll(/data-lead-id="([0-9A-Z]{26})"/g)].map((m) => m[1]);
}

Deno.test("[e2e] GET / renders the newest leads on the server, readable without JavaScript", async () => {
  const t = await createTestApp();
  try {
    const dana = await fetchedLead(t, 1_700_000_100, "Dana Smith");
    const pending = testMetaLead({ createdTime: 1_700_000_200 });
    await t.app.services.leads.insertLeads([pending]);
    const failed = markLeadDetailsFailed(
      testMetaLead({ createdTime: 1_700_000_000 }),
      "Token expired",
      new Date(),
    );
    await t.app.services.leads.insertLeads([failed]);
    const markup = await fetchedLead(t, 1_699_999_000, "<img src=x onerror=alert(1)>");

    const { status, body } = await html(t, "/");
    assert.equal(status, 200);
    assert.deepEqual(rowIds(body), [pending.id, dana.id, failed.id, markup.id], "newest first");
    assert.match(body, /href="tel:\+15550100000"/);
    assert.match(body, /href="mailto:dana@example.com"/);
    assert.match(body, /Spring test drive form/);
    assert.match(body, /Ad: Spring ad · Campaign: Spring campaign/);
    assert.match(
      body,
      /<time[^>]*datetime="2023-11-14T22:15:00.000Z"[^>]*title="2023-11-14 22:15:00 UTC"/,
    );
    assert.match(body, /data-mark="pending"/);
    assert.match(body, /data-mark="failed"[\s\S]*?Details failed: Token expired[\s\S]*?Retry/);
    assert.match(body, /data-connection="connecting"/);
    assert.match(body, /role="status"/);
    assert.match(body, /data-banner="demo"/, "demo mode shows its banner");
    // Lead text is text: the markup name is escaped in the rows and in the island's JSON props.
    assert.ok(!body.includes("<img src=x"), "no raw markup from a lead reaches the page");
    assert.match(body, /&lt;img src=x onerror=alert\(1\)>/);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] GET / pages with a 'Load more' link that works without JavaScript", async () => {
  const t = await createTestApp();
  try {
    const leads = [];
    for (let i = 0; i < 55; i++) leads.push(testMetaLead({ createdTime: 1_700_000_000 + i }));
    await t.app.services.leads.insertLeads(leads);
    const newest = leads.map((l) => l.id).reverse();
    const first = await html(t, "/");
    assert.deepEqual(rowIds(first.body), newest.slice(0, 50));
    // The link keeps the list's filter (the default view: mine and unassigned).
    const link = /class="button" href="\/\?owner=me&amp;owner=none&amp;cursor=([^"]+)"/.exec(
      first.body,
    );
    assert.ok(link, "a Load more link");
    const second = await html(t, `/?owner=me&owner=none&cursor=${link[1]}`);
    assert.deepEqual(rowIds(second.body), newest.slice(50));
    assert.ok(
      !/class="button" href="[^"]*cursor=/.test(second.body),
      "no more link on the last page",
    );
    assert.match(second.body, /Back to the newest/);

    const bad = await t.fetch("/?cursor=nonsense", {
      redirect: "manual",
      headers: { accept: "text/html" },
    });
    assert.equal(bad.status, 400, "a broken cursor is a page saying so, not a 500");
    assert.match(await bad.text(), /cursor &quot;nonsense&quot; is not one we gave out/);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] GET / with no leads explains how leads arrive (and in demo mode how to send one)", async () => {
  const t = await createTestApp();
  try {
    const { body } = await html(t, "/");
    assert.match(body, /data-empty/);
    assert.match(body, /No leads yet/);
    assert.match(body, /data-action="send-test-lead"/);
    // Commands that work for someone who started with `npx -y deno@2.9 task start` (no `deno`),
    // with the ports this server really uses (its simulator is on a free port here).
    const simulatorPort = new URL(t.app.services.simulator!.url).port;
    assert.match(
      body,
      new RegExp(
        `data-banner="demo"[^]*<code data-simulate="true">GRAPH_SIMULATOR_PORT=${simulatorPort} ` +
          "npx -y deno@2\\.9 task simulate --count 5</code>",
      ),
    );
    assert.match(body, /or from a terminal with the command in the banner above/);
    assert.doesNotMatch(body, /(?<!deno@2\.9 )\bdeno task simulate/, "no bare deno command");
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] GET / shows dashboard-wide alerts", async () => {
  const t = await createTestApp();
  try {
    await t.app.services.alerts.setAlert({
      kind: "token_expired",
      pageId: "111",
      message: "The page token expired; renew it in Meta Business settings.",
    });
    const { body } = await html(t, "/");
    assert.match(body, /data-alerts/);
    assert.match(body, /Token expired<\/strong> \(page 111\)/);
    assert.match(body, /renew it in Meta Business settings/);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] GET /leads/:id shows every answer, the ad, campaign and form, raw field_data, timeline", async () => {
  const t = await createTestApp();
  try {
    const lead = await fetchedLead(t, 1_700_000_100, "Dana Smith");
    const { status, body } = await html(t, `/leads/${lead.id}`);
    assert.equal(status, 200);
    assert.match(body, /<title>Dana Smith · Leadline<\/title>/);
    assert.match(body, /<dt title="car">Car<\/dt><dd>Hatchback<\/dd>/, "questions read as words");
    assert.match(body, /Spring test drive form/);
    assert.match(body, /Spring campaign/);
    assert.match(body, new RegExp(`Lead id \\(Meta\\)</dt><dd>${lead.leadgenId}</dd>`));
    assert.match(body, /data-raw[^>]*>\[\n {2}\{\n {4}&quot;name&quot;: &quot;full_name&quot;/);
    assert.match(body, /data-timeline[\s\S]*received[\s\S]*details fetched/);

    const missing = await html(t, "/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV");
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Lead not found/);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] POST /api/leads/sync answers a summary the Sync button can show", async () => {
  const t = await createTestApp();
  try {
    const res = await t.fetch("/api/leads/sync", { method: "POST" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    const body = await res.json();
    assert.equal(typeof body.forms, "number");
    assert.equal(typeof body.scanned, "number");
    assert.equal(typeof body.inserted, "number");
    assert.equal(typeof body.skipped, "boolean");
    assert.ok(!isNaN(Date.parse(body.startedAt)) && !isNaN(Date.parse(body.finishedAt)));
  } finally {
    await t.close();
  }
});
