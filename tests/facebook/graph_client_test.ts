import assert from "node:assert/strict";
import { createGraphClient } from "../../lib/facebook/graph_client.ts";
import { GraphApiError } from "../../lib/facebook/graph_errors.ts";
import { mapLeadDetails } from "../../lib/facebook/lead_fields.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";

const APP_SECRET = "sim-app-secret-for-tests";
const TOKEN = "sim-page-token-for-tests";

async function withSim(
  fn: (sim: GraphSimulator) => Promise<void>,
  options: { graphIdsAsNumbers?: boolean } = {},
): Promise<void> {
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: TOKEN,
    seed: 7,
    ...options,
  });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

function clientFor(
  sim: GraphSimulator,
  options: { appSecret?: string; token?: string | null; timeoutMs?: number } = {},
) {
  return createGraphClient({
    baseUrl: sim.url,
    version: "v21.0",
    appSecret: options.appSecret ?? APP_SECRET,
    tokenForPage: () => options.token === undefined ? TOKEN : options.token,
    timeoutMs: options.timeoutMs,
  });
}

async function rejection(promise: Promise<unknown>): Promise<GraphApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GraphApiError, `expected GraphApiError, got ${error}`);
    assert.doesNotMatch(error.message, new RegExp(`${TOKEN}|${APP_SECRET}`));
    assert.doesNotMatch(error.message, /appsecret_proof=[0-9a-f]/);
    return error;
  }
  assert.fail("expected the call to fail");
}

Deno.test("[graph_client] getLead returns the lead with exact ids and maps it", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead({
      bigId: true,
      organic: false,
      fields: { fullName: "Zoë Ångström", email: "zoe@example.com" },
    });
    const graphLead = await clientFor(sim).getLead(lead.id, lead.pageId);
    assert.equal(graphLead.id, lead.id);
    assert.ok(BigInt(lead.id) > BigInt(Number.MAX_SAFE_INTEGER));
    const details = mapLeadDetails(graphLead);
    assert.equal(details.fullName, "Zoë Ångström");
    assert.equal(details.email, "zoe@example.com");
    assert.equal(details.phone, lead.fields.phone);
    assert.equal(details.adId, lead.adId);
    assert.equal(details.campaignName, lead.campaignName);
    assert.equal(details.formId, lead.formId);
    assert.equal(details.isOrganic, false);
    assert.equal(details.createdTime, new Date(lead.createdTime * 1000).toISOString());
    assert.equal(sim.calls("lead"), 1, "exactly one Graph call");
    assert.equal(sim.calls(), 1);
  });
});

Deno.test("[graph_client] ids written as raw JSON numbers stay exact", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead({ bigId: true, organic: false });
    const graphLead = await clientFor(sim).getLead(lead.id, lead.pageId);
    assert.equal(graphLead.id, lead.id);
    assert.equal(graphLead.ad_id, lead.adId);
    assert.equal(typeof graphLead.form_id, "string");
    assert.equal(graphLead.form_id, lead.formId);
  }, { graphIdsAsNumbers: true });
});

Deno.test("[graph_client] getForm and listPageForms", async () => {
  await withSim(async (sim) => {
    const page = sim.pages[0];
    const client = clientFor(sim);
    const form = await client.getForm(page.forms[0].id, page.id);
    assert.deepEqual(form, { id: page.forms[0].id, name: "Spring test drive", status: "ACTIVE" });
    const listed = await client.listPageForms(page.id);
    assert.equal(listed.after, null);
    assert.deepEqual(
      listed.forms.map((item) => item.name),
      page.forms.map((item) => item.name),
    );
    assert.ok(listed.forms.some((item) => item.status === "ARCHIVED"));
  });
});

Deno.test("[graph_client] listFormLeads pages through 3+ pages with a since filter", async () => {
  await withSim(async (sim) => {
    const form = sim.pages[0].forms[0];
    const base = 1_764_336_000;
    const created = [];
    for (let i = 0; i < 12; i++) {
      created.push(sim.createLead({ formId: form.id, createdTime: base + i * 60 }));
    }
    // Another form's leads must not show up.
    sim.createLead({ formId: sim.pages[0].forms[1].id, createdTime: base + 5000 });
    const since = base + 3 * 60; // excludes the first four (at or before `since`)
    const client = clientFor(sim);
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.listFormLeads(form.id, form.pageId, { since, after, limit: 3 });
      pages++;
      seen.push(...page.leads.map((lead) => lead.id));
      for (const lead of page.leads) assert.ok(Array.isArray(lead.field_data));
      after = page.after ?? undefined;
    } while (after && pages < 10);
    assert.equal(pages, 3);
    const expected = created.slice(4).reverse().map((lead) => lead.id);
    assert.deepEqual(seen, expected, "newest first, each lead once");
    assert.equal(sim.calls("form_leads"), 3);
  });
});

Deno.test("[graph_client] a wrong app secret fails the appsecret_proof check", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    const error = await rejection(
      clientFor(sim, { appSecret: "not-the-app-secret" }).getLead(lead.id, lead.pageId),
    );
    assert.equal(error.kind, "token");
    assert.equal(error.code, 190);
    assert.match(error.message, /appsecret_proof/);
    const badToken = await rejection(
      clientFor(sim, { token: "expired-token-xyz" }).getLead(lead.id, lead.pageId),
    );
    assert.equal(badToken.kind, "token");
    assert.doesNotMatch(badToken.message, /expired-token-xyz/);
  });
});

Deno.test("[graph_client] a page without a token gives a token error without calling", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    const error = await rejection(clientFor(sim, { token: null }).getLead(lead.id, lead.pageId));
    assert.equal(error.kind, "token");
    assert.match(error.message, new RegExp(`page ${lead.pageId}`));
    assert.equal(sim.calls(), 0);
  });
});

Deno.test("[graph_client] a missing lead is not_found; bad ids are refused", async () => {
  await withSim(async (sim) => {
    const error = await rejection(clientFor(sim).getLead("123456789012345", sim.pages[0].id));
    assert.equal(error.kind, "not_found");
    assert.equal(error.code, 100);
    assert.equal(error.subcode, 33);
    const bad = await rejection(clientFor(sim).getLead("../me", sim.pages[0].id));
    assert.equal(bad.kind, "bad_request");
  });
});

Deno.test("[graph_client] faults: 500 once then success", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    const client = clientFor(sim);
    sim.injectFault({ path: "lead", status: 500, times: 1 });
    const error = await rejection(client.getLead(lead.id, lead.pageId));
    assert.equal(error.kind, "transient");
    assert.equal(error.status, 500);
    assert.equal(error.code, 1);
    assert.equal(error.retryable, true);
    assert.equal((await client.getLead(lead.id, lead.pageId)).id, lead.id);
    assert.equal(sim.calls("lead"), 2);
  });
});

Deno.test("[graph_client] faults: code 190 is a token error", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    sim.injectFault({ code: 190, subcode: 463 });
    const error = await rejection(clientFor(sim).getLead(lead.id, lead.pageId));
    assert.equal(error.kind, "token");
    assert.equal(error.subcode, 463);
    assert.equal(error.status, 400);
    assert.match(error.message, /Session has expired/);
    assert.ok(error.fbtraceId);
  });
});

Deno.test("[graph_client] faults: code 17 with a BUC header gives retryAfterMs", async () => {
  await withSim(async (sim) => {
    const form = sim.pages[0].forms[0];
    sim.injectFault({ path: "form_leads", code: 17, bucRegainMinutes: 4, times: 1 });
    const error = await rejection(clientFor(sim).listFormLeads(form.id, form.pageId));
    assert.equal(error.kind, "rate_limit");
    assert.equal(error.code, 17);
    assert.equal(error.retryAfterMs, 4 * 60_000);
    // The fault hit only form_leads: a form read works.
    const listed = await clientFor(sim).listFormLeads(form.id, form.pageId);
    assert.deepEqual(listed, { leads: [], after: null });
  });
});

Deno.test("[graph_client] faults: latency beyond the timeout is a transient error", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    // Held until the simulator closes: no answer comes, however slow the machine.
    sim.injectFault({ path: "lead", until: new Promise(() => {}), times: 1 });
    const error = await rejection(clientFor(sim, { timeoutMs: 100 }).getLead(lead.id, lead.pageId));
    assert.equal(error.kind, "transient");
    assert.equal(error.status, null);
    assert.match(error.message, /no answer within 100 ms/);
  });
});

Deno.test("[graph_client] network failure is transient and redacted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const client = createGraphClient({
    baseUrl: `http://127.0.0.1:${port}`,
    version: "v21.0",
    appSecret: APP_SECRET,
    tokenForPage: () => TOKEN,
  });
  const error = await rejection(client.getLead("1234567890", "1"));
  assert.equal(error.kind, "transient");
  assert.match(error.message, /refused/i);
  assert.doesNotMatch(error.message, /access_token|appsecret_proof/);
});
