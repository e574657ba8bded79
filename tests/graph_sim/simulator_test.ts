import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { hmacSha256Hex } from "../../lib/crypto.ts";
import { parseWebhookDelivery } from "../../lib/facebook/payload.ts";
import { verifySignature } from "../../lib/facebook/signature.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";

const APP_SECRET = "sim-app-secret-for-tests";
const TOKEN = "sim-page-token-for-tests";

async function withSim(fn: (sim: GraphSimulator) => void | Promise<void>, seed = 3): Promise<void> {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: TOKEN, seed });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function graphGet(sim: GraphSimulator, path: string, params: Record<string, string> = {}) {
  const url = new URL(`${sim.url}/v19.0/${path}`);
  url.searchParams.set("access_token", TOKEN);
  url.searchParams.set("appsecret_proof", await hmacSha256Hex(APP_SECRET, TOKEN));
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A real webhook receiver that records what it was sent. */
function startReceiver() {
  const received: { body: Uint8Array; signature: string | null }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    received.push({
      body: new Uint8Array(await request.arrayBuffer()),
      signature: request.headers.get("x-hub-signature-256"),
    });
    return new Response("EVENT_RECEIVED");
  });
  return { url: `http://127.0.0.1:${server.addr.port}/webhook`, received, server };
}

Deno.test("[graph_sim] pages, forms and generated leads are deterministic per seed", async () => {
  const runs: SimLead[][] = [];
  for (let run = 0; run < 2; run++) {
    await withSim((sim) => {
      assert.equal(sim.pages.length, 2);
      assert.equal(sim.pages[0].forms[0].name, "Spring test drive");
      const leads = Array.from({ length: 30 }, () => sim.createLead({ createdTime: 1764336000 }));
      runs.push(leads);
    }, 11);
  }
  assert.deepEqual(runs[0], runs[1]);
  const leads = runs[0];
  assert.equal(new Set(leads.map((lead) => lead.id)).size, 30, "ids are unique");
  assert.ok(leads.some((lead) => BigInt(lead.id) > BigInt(Number.MAX_SAFE_INTEGER)));
  assert.ok(leads.some((lead) => BigInt(lead.id) <= BigInt(Number.MAX_SAFE_INTEGER)));
  for (const lead of leads) {
    assert.match(lead.id, /^\d{15,19}$/);
    assert.match(lead.fields.email, /^[a-z0-9.]+@[a-z.]+$/);
    assert.match(lead.fields.phone, /^\+1\d{3}55501\d{2}$/);
    assert.match(lead.fields.fullName, /^\S+ \S+/);
    if (lead.isOrganic) assert.equal(lead.adId, null);
    else assert.match(lead.adId ?? "", /^1202\d{14}$/);
  }
});

Deno.test("[graph_sim] createLead honours its options", async () => {
  await withSim((sim) => {
    const page = sim.pages[1];
    const lead = sim.createLead({
      pageId: page.id,
      fields: { fullName: "Test Person", email: "test@example.com" },
      createdTime: 1764336000,
      organic: true,
      bigId: false,
    });
    assert.equal(lead.pageId, page.id);
    assert.equal(lead.formId, page.forms[0].id);
    assert.equal(lead.fields.fullName, "Test Person");
    assert.equal(lead.isOrganic, true);
    assert.equal(lead.adId, null);
    assert.ok(BigInt(lead.id) <= BigInt(Number.MAX_SAFE_INTEGER));
    assert.equal(sim.createLead({ bigId: true }).id.length, 17);
    assert.throws(() => sim.createLead({ formId: "1" }), /form 1 does not exist/);
    assert.throws(
      () => sim.createLead({ pageId: page.id, formId: sim.pages[0].forms[0].id }),
      /is not on page/,
    );
    assert.equal(sim.lead(lead.id), lead);
  });
});

Deno.test("[graph_sim] webhookBody is Meta's shape, with ids as strings or raw numbers", async () => {
  await withSim((sim) => {
    const a = sim.createLead({ pageId: sim.pages[0].id, bigId: true, organic: false });
    const b = sim.createLead({ pageId: sim.pages[1].id, organic: true });
    const c = sim.createLead({ pageId: sim.pages[0].id });
    const text = sim.webhookBody([a, b, c]);
    const plain = JSON.parse(text);
    assert.equal(plain.object, "page");
    assert.deepEqual(plain.entry.map((entry: { id: string }) => entry.id), [a.pageId, b.pageId]);
    assert.equal(plain.entry[0].changes.length, 2);
    assert.deepEqual(plain.entry[0].changes[0], {
      field: "leadgen",
      value: {
        ad_id: a.adId,
        form_id: a.formId,
        leadgen_id: a.id,
        created_time: a.createdTime,
        page_id: a.pageId,
        adgroup_id: a.adId,
      },
    });
    assert.equal("ad_id" in plain.entry[1].changes[0].value, false, "organic: no ad ids");

    const numeric = sim.webhookBody([a, b, c], { idsAsNumbers: true });
    assert.ok(numeric.includes(`"leadgen_id":${a.id}`));
    assert.ok(numeric.includes(`"page_id":${a.pageId}`));
    assert.notEqual(String(JSON.parse(numeric).entry[0].changes[0].value.leadgen_id), a.id);
    for (const body of [text, numeric]) {
      const delivery = parseWebhookDelivery(body);
      assert.deepEqual(delivery.leadgen.map((change) => change.leadgenId), [a.id, c.id, b.id]);
    }
  });
});

Deno.test("[graph_sim] deliver POSTs a correctly signed body", async () => {
  const receiver = startReceiver();
  try {
    await withSim(async (sim) => {
      const lead = sim.createLead({ bigId: true });
      const response = await sim.deliver([lead], receiver.url, { idsAsNumbers: true });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "EVENT_RECEIVED");
      const [{ body, signature }] = receiver.received;
      assert.deepEqual(await verifySignature(APP_SECRET, body, signature), { ok: true });
      const delivery = parseWebhookDelivery(new TextDecoder().decode(body));
      assert.equal(delivery.leadgen[0].leadgenId, lead.id);
      assert.equal(sim.calls(), 0, "a delivery is not a Graph call");
    });
  } finally {
    await receiver.server.shutdown();
  }
});

Deno.test("[graph_sim] Graph answers: lead, form, edges, fields and versions", async () => {
  await withSim(async (sim) => {
    const form = sim.pages[0].forms[0];
    const lead = sim.createLead({ formId: form.id, createdTime: 1764336060, organic: false });
    const full = await graphGet(sim, lead.id, {
      fields: "id,created_time,field_data,ad_id,campaign_name,form_id,is_organic,platform",
    });
    assert.equal(full.status, 200);
    assert.equal(full.body.id, lead.id);
    assert.equal(full.body.created_time, "2025-11-28T13:21:00+0000");
    assert.equal(full.body.ad_id, lead.adId);
    assert.equal(full.body.campaign_name, lead.campaignName);
    assert.deepEqual(full.body.field_data.slice(0, 3), [
      { name: "full_name", values: [lead.fields.fullName] },
      { name: "email", values: [lead.fields.email] },
      { name: "phone_number", values: [lead.fields.phone] },
    ]);
    assert.ok(
      full.body.field_data.some((item: { name: string }) =>
        item.name === "which_model_would_you_like_to_test_drive?"
      ),
    );
    const narrow = await graphGet(sim, lead.id, { fields: "created_time" });
    assert.deepEqual(Object.keys(narrow.body).sort(), ["created_time", "id"]);
    const formBody = await graphGet(sim, form.id, { fields: "name,status" });
    assert.deepEqual(formBody.body, { id: form.id, name: form.name, status: "ACTIVE" });
    const missing = await graphGet(sim, "123456789012345");
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 100);
    assert.match(missing.body.error.message, /does not exist/);
    assert.ok(missing.body.error.fbtrace_id);
    assert.equal(sim.calls("lead"), 3);
    assert.equal(sim.calls("form"), 1);
  });
});

Deno.test("[graph_sim] token and appsecret_proof are checked", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    const proof = await hmacSha256Hex(APP_SECRET, TOKEN);
    const cases: [string, number, RegExp][] = [
      [`access_token=wrong&appsecret_proof=${proof}`, 190, /Invalid OAuth access token/],
      [`access_token=${TOKEN}&appsecret_proof=${"0".repeat(64)}`, 190, /Invalid appsecret_proof/],
      [`access_token=${TOKEN}`, 190, /require an appsecret_proof/],
      [`appsecret_proof=${proof}`, 104, /access token is required/],
    ];
    for (const [query, code, message] of cases) {
      const response = await fetch(`${sim.url}/v21.0/${lead.id}?${query}`);
      assert.equal(response.status, 400);
      const body = await response.json();
      assert.equal(body.error.type, "OAuthException");
      assert.equal(body.error.code, code);
      assert.match(body.error.message, message);
    }
  });
});

Deno.test("[graph_sim] form leads: newest first, time filter, cursors, next only when more", async () => {
  await withSim(async (sim) => {
    const form = sim.pages[0].forms[1];
    const leads = Array.from(
      { length: 5 },
      (_, i) => sim.createLead({ formId: form.id, createdTime: 1764336000 + (i < 2 ? 0 : i) }),
    );
    const filtering = JSON.stringify([
      { field: "time_created", operator: "GREATER_THAN", value: 1764335999 },
    ]);
    const first = await graphGet(sim, `${form.id}/leads`, { limit: "3", filtering });
    assert.deepEqual(
      first.body.data.map((lead: { id: string }) => lead.id),
      [leads[4].id, leads[3].id, leads[2].id],
    );
    assert.ok(first.body.paging.cursors.after);
    assert.ok(first.body.paging.next.includes(`after=${first.body.paging.cursors.after}`));
    const second = await graphGet(sim, `${form.id}/leads`, {
      limit: "3",
      filtering,
      after: first.body.paging.cursors.after,
    });
    // Same second: the later submission comes first.
    assert.deepEqual(
      second.body.data.map((lead: { id: string }) => lead.id),
      [leads[1].id, leads[0].id],
    );
    assert.equal(second.body.paging.next, undefined);
    const since = JSON.stringify([
      { field: "time_created", operator: "GREATER_THAN", value: 1764336002 },
    ]);
    const recent = await graphGet(sim, `${form.id}/leads`, { filtering: since });
    assert.equal(recent.body.data.length, 2);
    const bad = await graphGet(sim, `${form.id}/leads`, { after: "nonsense" });
    assert.equal(bad.status, 400);
  });
});

Deno.test("[graph_sim] page forms are paged", async () => {
  await withSim(async (sim) => {
    const page = sim.pages[0];
    for (let i = 0; i < 3; i++) sim.createForm({ pageId: page.id, name: `Extra form ${i}` });
    const names: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const { body } = await graphGet(sim, `${page.id}/leadgen_forms`, {
        limit: "2",
        ...(after ? { after } : {}),
      });
      names.push(...body.data.map((form: { name: string }) => form.name));
      after = body.paging?.next ? body.paging.cursors.after : undefined;
      pages++;
    } while (after && pages < 10);
    assert.deepEqual(names, page.forms.map((form) => form.name));
    assert.equal(pages, 4);
    assert.equal(sim.calls("page_forms"), 4);
  });
});

Deno.test("[graph_sim] faults: times, paths, defaults, BUC header, clear", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    sim.injectFault({ path: "form", status: 503, times: 5 });
    sim.injectFault({ path: "lead", code: 80001, bucRegainMinutes: 2, times: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await graphGet(sim, lead.id);
      assert.equal(limited.status, 400);
      assert.equal(limited.body.error.code, 80001);
      const buc = JSON.parse(limited.headers.get("x-business-use-case-usage")!);
      assert.equal(buc[lead.pageId][0].estimated_time_to_regain_access, 2);
    }
    assert.equal((await graphGet(sim, lead.id)).status, 200);
    const unavailable = await graphGet(sim, lead.formId);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.body.error.code, 2);
    sim.clearFaults();
    assert.equal((await graphGet(sim, lead.formId)).status, 200);
    sim.injectFault({ code: 200 });
    assert.equal((await graphGet(sim, lead.id)).status, 403);
    assert.equal((await graphGet(sim, lead.formId)).status, 403, "path any hits every call");
    assert.equal(sim.calls(), 7);
    sim.resetCalls();
    assert.equal(sim.calls(), 0);
    assert.throws(() => sim.injectFault({ status: 200 }), /status must be between/);
  });
});

Deno.test("[graph_sim] control API: leads with delivery, faults, stats", async () => {
  const receiver = startReceiver();
  try {
    await withSim(async (sim) => {
      const created = await fetch(`${sim.url}/__sim/leads`, {
        method: "POST",
        body: JSON.stringify({ count: 3, deliver: true, callbackUrl: receiver.url }),
      });
      assert.equal(created.status, 201);
      const result = await created.json();
      assert.equal(result.leads.length, 3);
      assert.deepEqual(result.deliveries.map((d: { status: number }) => d.status), [200, 200, 200]);
      assert.equal(receiver.received.length, 3);
      for (const { body, signature } of receiver.received) {
        assert.deepEqual(await verifySignature(APP_SECRET, body, signature), { ok: true });
      }
      const delivered = receiver.received.map(({ body }) =>
        parseWebhookDelivery(new TextDecoder().decode(body)).leadgen[0].leadgenId
      );
      assert.deepEqual(delivered, result.leads.map((lead: { id: string }) => lead.id));

      const quiet = await fetch(`${sim.url}/__sim/leads`, {
        method: "POST",
        body: JSON.stringify({ count: 2 }),
      });
      assert.equal((await quiet.json()).deliveries.length, 0);
      assert.equal(receiver.received.length, 3, "not delivering = a lost delivery");

      const badCount = await fetch(`${sim.url}/__sim/leads`, {
        method: "POST",
        body: JSON.stringify({ count: 0 }),
      });
      assert.equal(badCount.status, 400);
      await badCount.body?.cancel();
      const noCallback = await fetch(`${sim.url}/__sim/leads`, {
        method: "POST",
        body: JSON.stringify({ deliver: true }),
      });
      assert.equal(noCallback.status, 400);
      await noCallback.body?.cancel();

      const fault = await fetch(`${sim.url}/__sim/faults`, {
        method: "POST",
        body: JSON.stringify({ path: "lead", status: 500, times: 1 }),
      });
      assert.deepEqual(await fault.json(), { faults: 1 });
      assert.equal((await graphGet(sim, result.leads[0].id)).status, 500);
      assert.equal((await graphGet(sim, result.leads[0].id)).status, 200);
      await (await fetch(`${sim.url}/__sim/faults`, {
        method: "POST",
        body: JSON.stringify({ code: 17 }),
      })).body?.cancel();
      const cleared = await fetch(`${sim.url}/__sim/faults`, { method: "DELETE" });
      assert.deepEqual(await cleared.json(), { cleared: 1 });

      const stats = await (await fetch(`${sim.url}/__sim/stats`)).json();
      assert.equal(stats.leads, 5);
      assert.equal(stats.calls.total, 2);
      assert.equal(stats.calls.lead, 2);
      assert.equal(stats.faults, 0);
      assert.equal(stats.pages.length, 2);
      // Spread over the forms (the demo's variety), all counted.
      const perForm = stats.pages.flatMap((page: { forms: { leads: number }[] }) =>
        page.forms.map((form) => form.leads)
      );
      assert.equal(perForm.reduce((a: number, b: number) => a + b, 0), 5);
      const unknown = await fetch(`${sim.url}/__sim/nothing`);
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    });
  } finally {
    await receiver.server.shutdown();
  }
});

Deno.test("[graph_sim] faults: until holds an answer until the test releases it", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    const { promise: release, resolve } = Promise.withResolvers<void>();
    sim.injectFault({ path: "lead", until: release, times: 1 });
    let answered = false;
    const pending = graphGet(sim, lead.id).then((result) => {
      answered = true;
      return result.status;
    });
    await waitFor(() => sim.calls("lead") > 0, "the simulator to receive the call");
    // Another call is not held (times: 1), and answering it gives the held one every chance.
    assert.equal((await graphGet(sim, lead.id)).status, 200);
    assert.equal(answered, false, "held until released");
    resolve();
    assert.equal(await pending, 200, "answered normally once released");
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => sim.injectFault({ until: "later" as any }),
      /until must be a promise \(in-process only\)/,
    );
  });
});

Deno.test("[graph_sim] close ends a slow answer at once", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: TOKEN });
  const lead = sim.createLead();
  sim.injectFault({ latencyMs: 60_000, status: 500 });
  const pending = graphGet(sim, lead.id).then(
    (result) => result.status,
    () => "failed",
  );
  // Wait until the simulator has the call, then close while it sleeps.
  await waitFor(() => sim.calls() > 0, "the simulator to receive the call");
  // A liveness guard, not a speed check: without the abort, close would wait a whole minute.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    sim.close().then(() => "closed"),
    new Promise((resolve) => guard = setTimeout(() => resolve("still waiting"), 20_000)),
  ]);
  clearTimeout(guard);
  assert.equal(outcome, "closed");
  assert.ok([500, "failed"].includes(await pending));
});

Deno.test("[graph_sim] 30 simulated leads come from several forms, ads, ad sets and campaigns", async () => {
  await withSim(async (sim) => {
    const res = await fetch(`${sim.url}/__sim/leads`, {
      method: "POST",
      body: JSON.stringify({ count: 30 }),
    });
    assert.equal(res.status, 201);
    const leads = (await res.json()).leads.map((lead: { id: string }) => sim.lead(lead.id)!);
    const distinct = (values: (string | null)[]) => new Set(values.filter((v) => v !== null));
    const forms = distinct(leads.map((lead: SimLead) => lead.formId));
    const campaigns = distinct(leads.map((lead: SimLead) => lead.campaignId));
    assert.ok(forms.size >= 3, `${forms.size} forms`);
    assert.ok(campaigns.size >= 2, `${campaigns.size} campaigns`);
    assert.ok(distinct(leads.map((lead: SimLead) => lead.adId)).size >= 4, "several ads");
    assert.ok(distinct(leads.map((lead: SimLead) => lead.adsetId)).size >= 3, "several ad sets");
    assert.ok(distinct(leads.map((lead: SimLead) => lead.pageId)).size === 2, "both pages");
    assert.deepEqual(distinct(leads.map((lead: SimLead) => lead.platform)), new Set(["fb", "ig"]));
    assert.ok(leads.some((lead: SimLead) => lead.isOrganic), "some organic");
    assert.ok(leads.some((lead: SimLead) => !lead.isOrganic), "mostly paid");
    // Only active forms get leads; a campaign keeps one id whichever form its ads lead to.
    const archived = new Set(
      sim.pages.flatMap((page) => page.forms).filter((f) => f.status !== "ACTIVE").map((f) => f.id),
    );
    assert.ok(leads.every((lead: SimLead) => !archived.has(lead.formId)));
    const idsByCampaign = new Map<string, Set<string>>();
    for (const ad of sim.pages.flatMap((page) => page.forms).flatMap((form) => form.ads)) {
      idsByCampaign.set(
        ad.campaignName,
        (idsByCampaign.get(ad.campaignName) ?? new Set()).add(ad.campaignId),
      );
    }
    for (const [name, ids] of idsByCampaign) assert.equal(ids.size, 1, name);
    // A test that names no page or form still gets the first page's first form, as before.
    assert.equal(sim.createLead().formId, sim.pages[0].forms[0].id);
  });
});

Deno.test("[graph_sim] generated people never share a phone or email; repeatOf submits the same person again", async () => {
  await withSim(async (sim) => {
    const leads = Array.from({ length: 1_500 }, () => sim.createLead({ anyForm: true }));
    assert.equal(new Set(leads.map((lead) => lead.fields.phone)).size, 1_500);
    assert.equal(new Set(leads.map((lead) => lead.fields.email)).size, 1_500);
    for (const lead of leads) {
      assert.match(lead.fields.phone, /^\+1\d{3}55501\d{2}$/);
      assert.match(lead.fields.email, /^[a-z0-9.]+@[a-z.]+$/);
    }
    // A phone given on purpose is not handed to a generated person later.
    const given = sim.createLead({ fields: { phone: "+12125550100", email: "given@example.com" } });
    const after = Array.from({ length: 50 }, () => sim.createLead());
    assert.ok(after.every((lead) => lead.fields.phone !== given.fields.phone));

    const res = await fetch(`${sim.url}/__sim/leads`, {
      method: "POST",
      body: JSON.stringify({ count: 1, repeatOf: leads[7].id }),
    });
    assert.equal(res.status, 201);
    const [again] = (await res.json()).leads;
    assert.notEqual(again.id, leads[7].id);
    const stored = sim.createLead({ repeatOf: leads[7].id });
    assert.deepEqual(
      [again.fullName, again.email, stored.fields.phone],
      [leads[7].fields.fullName, leads[7].fields.email, leads[7].fields.phone],
    );
    const unknown = await fetch(`${sim.url}/__sim/leads`, {
      method: "POST",
      body: JSON.stringify({ repeatOf: "999" }),
    });
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).error, /lead 999 does not exist/);
  });
});
