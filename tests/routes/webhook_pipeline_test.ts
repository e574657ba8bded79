import assert from "node:assert/strict";
import { readDelivery } from "../../lib/leads/deliveries.ts";
import { FETCH_LEAD_DETAILS } from "../../lib/leads/fetch_details.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { postDelivery, waitForSettled, withPipeline } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";

Deno.test("[pipeline] a signed delivery becomes a fetched lead with name, email, phone, form", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const simLead = sim.createLead({ organic: false });
    const res = await sim.deliver([simLead], webhookUrl);
    assert.equal(res.status, 200);
    const ack = await res.json();
    assert.equal(ack.inserted, 1);

    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "fetched");
    assert.equal(lead.fullName, simLead.fields.fullName);
    assert.equal(lead.email, simLead.fields.email);
    assert.equal(lead.phone, simLead.fields.phone);
    assert.equal(lead.formId, simLead.formId);
    assert.equal(lead.formName, sim.pages[0].forms.find((f) => f.id === simLead.formId)?.name);
    assert.equal(lead.adId, simLead.adId);
    assert.equal(lead.campaignName, simLead.campaignName);
    assert.equal(lead.createdTime, new Date(simLead.createdTime * 1000).toISOString());
    assert.ok(lead.answers.some((a) => a.name === "city" && a.values[0] === simLead.fields.city));

    const api = await server.fetch(`/api/leads/${lead.id}`);
    assert.equal(api.status, 200);
    assert.match(api.headers.get("content-type") ?? "", /application\/json/);
    const json = await api.json();
    for (
      const key of [
        "id",
        "source",
        "leadgenId",
        "pageId",
        "formId",
        "formName",
        "adId",
        "adName",
        "campaignId",
        "campaignName",
        "createdTime",
        "receivedAt",
        "fullName",
        "email",
        "phone",
        "answers",
        "details",
        "detailsError",
        "status",
      ]
    ) assert.ok(key in json, `Lead JSON has ${key}`);
    assert.equal(json.source, "meta");
    assert.equal(json.status, "new");
    assert.equal(json.detailsError, null);
    assert.equal(json.leadgenId, simLead.id);

    // The form name is cached: a second lead of the same form asks Graph for the lead only.
    const formCalls = sim.calls("form");
    const second = sim.createLead({ formId: simLead.formId });
    await (await sim.deliver([second], webhookUrl)).body?.cancel();
    assert.equal((await waitForSettled(server, second.id)).details, "fetched");
    assert.equal(sim.calls("form"), formCalls);
  });
});

Deno.test("[pipeline] the same body 20 times at once gives one lead and one Graph lead call", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const simLead = sim.createLead();
    const body = sim.webhookBody([simLead]);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => postDelivery(webhookUrl, body)),
    );
    assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
    // 20 at once are more than the webhook waits for: those past the inbox's threshold are
    // answered once durable in the inbox (queued), the others once their lead is committed.
    const answers = results.map((r) => JSON.parse(r.text));
    assert.ok(answers.every((a) => a.queued === true || typeof a.inserted === "number"));
    const inserted = answers.reduce((n, a) => n + (a.inserted ?? 0), 0);
    assert.ok(inserted <= 1, "no two deliveries inserted the lead");

    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "fetched");
    // Let any stray job run: the sweep finds nothing, and the count stays at one.
    await server.app.services.jobs.runDue();
    assert.equal(sim.calls("lead"), 1);
    const page = await server.app.services.leads.listLeads({ limit: 100 });
    assert.equal(page.leads.length, 1);
  });
});

Deno.test("[pipeline] a batch of 1,000 changes gives 1,000 leads", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const leads = Array.from(
      { length: 1000 },
      (_, i) => sim.createLead({ pageId: sim.pages[i % 2].id }),
    );
    const res = await sim.deliver(leads, webhookUrl);
    assert.equal(res.status, 200);
    const ack = await res.json();
    assert.equal(ack.received, 1000);
    assert.equal(ack.inserted, 1000);
    // Answered only after every lead is committed: all 1,000 are readable now.
    const { leads: store } = server.app.services;
    for (const lead of leads) assert.ok(await store.getLeadByLeadgenId(lead.id), lead.id);
    let count = 0;
    let cursor: string | null = null;
    do {
      const res = await server.fetch(`/api/leads?limit=500${cursor ? `&cursor=${cursor}` : ""}`);
      const page: { leads: Lead[]; cursor: string | null } = await res.json();
      count += page.leads.length;
      cursor = page.cursor;
    } while (cursor);
    assert.equal(count, 1000);
    // And all of them get fetched.
    await waitFor(() => sim.calls("lead") >= 1000 ? true : null, "1,000 lead fetches", 60_000);
    await waitFor(
      async () => {
        for (const lead of leads.slice(-5)) {
          if ((await store.getLeadByLeadgenId(lead.id))?.details !== "fetched") return null;
        }
        return true;
      },
      "the last leads fetched",
      30_000,
    );
  });
});

Deno.test("[pipeline] Graph failing twice then answering still fetches the lead", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", status: 500, code: 1, times: 2 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "fetched");
    assert.equal(lead.fullName, simLead.fields.fullName);
    assert.equal(sim.calls("lead"), 3);
  }, { env: { JOB_MAX_ATTEMPTS: "5" } });
});

Deno.test("[pipeline] a permanent failure ends failed; retry after the fix fetches it", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", status: 503, code: 2 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const failed = await waitForSettled(server, simLead.id);
    assert.equal(failed.details, "failed");
    assert.match(failed.detailsError ?? "", /Gave up after 3 attempts/);
    assert.equal(sim.calls("lead"), 3);
    const job = await server.app.services.jobs.getJob(FETCH_LEAD_DETAILS, simLead.id);
    assert.equal(job?.state, "failed");

    const api = await (await server.fetch(`/api/leads/${failed.id}`)).json();
    assert.equal(api.details, "failed");
    assert.match(api.detailsError, /Gave up/);

    // Retry while the fault lasts fails again; after the fix it fetches.
    sim.clearFaults();
    const retry = await server.fetch(`/api/leads/${failed.id}/retry`, { method: "POST" });
    assert.equal(retry.status, 202);
    assert.equal((await retry.json()).details, "pending");
    const fetched = await waitForSettled(server, simLead.id);
    assert.equal(fetched.details, "fetched");
    assert.equal(fetched.detailsError, null);
    assert.equal(fetched.email, simLead.fields.email);

    const again = await server.fetch(`/api/leads/${failed.id}/retry`, { method: "POST" });
    assert.equal(again.status, 409);
    await again.body?.cancel();
    const missing = await server.fetch(`/api/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry`, {
      method: "POST",
    });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

Deno.test("[pipeline] code 190 marks the lead failed and raises a page alert; a success clears it", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const { alerts } = server.app.services;
    sim.injectFault({ path: "lead", code: 190, times: 1 });
    const simLead = sim.createLead();
    const delivered = await sim.deliver([simLead], webhookUrl);
    const requestId = delivered.headers.get("x-request-id");
    await delivered.body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    const failure = server.logs.map((line) => JSON.parse(line))
      .find((line) => line.message === "details fetch failed for good");
    assert.equal(failure?.requestId, requestId, "the job's log line names the webhook request");
    assert.equal(lead.details, "failed");
    assert.match(lead.detailsError ?? "", /access token for page \d+ \(Meta error 190\)/);
    assert.ok(!lead.detailsError!.includes("ingest-test-page-token"), "no token in the reason");
    assert.equal(sim.calls("lead"), 1, "a token error is not retried");
    const raised = await alerts.listAlerts();
    assert.equal(raised.length, 1);
    assert.equal(raised[0].kind, "token_expired");
    assert.equal(raised[0].pageId, simLead.pageId);

    // The token works again: the retry fetches and the alert goes away.
    const retry = await server.fetch(`/api/leads/${lead.id}/retry`, { method: "POST" });
    assert.equal(retry.status, 202);
    await retry.body?.cancel();
    assert.equal((await waitForSettled(server, simLead.id)).details, "fetched");
    assert.deepEqual(await alerts.listAlerts(), []);
  });
});

Deno.test("[pipeline] a permission error (200) fails the lead and raises a permission alert", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", code: 200 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "failed");
    assert.match(lead.detailsError ?? "", /leads_retrieval/);
    const [alert] = await server.app.services.alerts.listAlerts();
    assert.equal(alert.kind, "permission_denied");
  });
});

Deno.test("[pipeline] a forged delivery stores and fetches nothing", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const simLead = sim.createLead();
    const body = sim.webhookBody([simLead]);
    const forged = await postDelivery(webhookUrl, body, { secret: "not-the-app-secret" });
    assert.equal(forged.status, 401);
    const unsigned = await postDelivery(webhookUrl, body, { signature: null });
    assert.equal(unsigned.status, 401);
    await server.app.services.jobs.runDue();
    assert.equal(await server.app.services.leads.getLeadByLeadgenId(simLead.id), null);
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
    assert.equal(sim.calls(), 0);
    const kept = [];
    for await (const entry of server.kv.list({ prefix: ["webhook_deliveries"] })) kept.push(entry);
    assert.equal(kept.length, 0, "a forged body is not kept");
  });
});

Deno.test("[pipeline] ids past 2^53 sent as JSON numbers round-trip exactly via the API", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const simLead = sim.createLead({ bigId: true, organic: false });
    assert.ok(BigInt(simLead.id) > BigInt(Number.MAX_SAFE_INTEGER));
    assert.notEqual(String(Number(simLead.id)), simLead.id, "a double would round this id");
    const res = await sim.deliver([simLead], webhookUrl, { idsAsNumbers: true });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "fetched");
    const page = await (await server.fetch("/api/leads")).text();
    assert.ok(page.includes(`"leadgenId":"${simLead.id}"`), "the API writes the exact digits");
    assert.ok(page.includes(`"pageId":"${simLead.pageId}"`));
    assert.ok(page.includes(`"adId":"${simLead.adId}"`));
  });
});

Deno.test("[pipeline] the raw delivery is kept byte for byte with the request id", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const simLead = sim.createLead();
    const body = sim.webhookBody([simLead]).replace("{", '{ "note": "caf\\u00e9 \u00e9", ');
    const res = await postDelivery(webhookUrl, body);
    assert.equal(res.status, 200);
    const ack = JSON.parse(res.text);
    const entries = [];
    for await (
      const entry of server.kv.list<{ id: string; requestId: string }>({
        prefix: ["webhook_deliveries"],
      })
    ) entries.push(entry.value);
    assert.equal(entries.length, 1);
    assert.equal(entries[0].requestId, ack.requestId);
    assert.equal(entries[0].requestId, res.headers.get("x-request-id"));
    const kept = await readDelivery(server.kv, entries[0].id);
    assert.equal(new TextDecoder().decode(kept!.body), body);
  });
});

Deno.test("[pipeline] GET /api/leads?since= lists changes after a cursor, in order", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const start = await (await server.fetch("/api/leads?since=0")).json();
    assert.deepEqual(start.changes, []);
    assert.equal(start.cursor, "0");
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    await waitForSettled(server, simLead.id);
    const page = await (await server.fetch(`/api/leads?since=${start.cursor}`)).json();
    assert.deepEqual(page.changes.map((c: { kind: string }) => c.kind), ["created", "updated"]);
    assert.deepEqual(page.changes.map((c: { seq: number }) => c.seq), [1, 2]);
    assert.equal(page.changes[1].lead.details, "fetched");
    assert.equal(page.cursor, "2");
    assert.equal(page.reset, false);
    const none = await (await server.fetch(`/api/leads?since=2`)).json();
    assert.deepEqual(none.changes, []);
    assert.equal(none.cursor, "2");
    const bad = await server.fetch(`/api/leads?since=abc`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  });
});

Deno.test("[pipeline] a delivery of 100 leads of a new form asks Graph for the form's name once", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const form = sim.createForm({ pageId: sim.pages[0].id, name: "Brand new form" });
    const leads = Array.from({ length: 100 }, () => sim.createLead({ formId: form.id }));
    const formCalls = sim.calls("form");
    const res = await sim.deliver(leads, webhookUrl);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).inserted, 100);
    for (const simLead of leads) {
      const lead = await waitForSettled(server, simLead.id);
      assert.equal(lead.details, "fetched");
      assert.equal(lead.formName, "Brand new form");
    }
    // Before: each lead's fetch that ran while the first call was under way made its own (8).
    assert.equal(sim.calls("form") - formCalls, 1, "one form-name call for the whole delivery");
  });
});
