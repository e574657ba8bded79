// Erasure and retention against the real app and KV: leads made through the real paths (webhook
// with fetched details, manual entry, status change, claim, activities, follow-up, an outbound
// webhook destination), then one erased or purged, then the WHOLE store scanned: no key holds the
// lead's id and no value its name, email or phone, while the other leads stay listed and indexed.

import assert from "node:assert/strict";
import { eraseLead, erasureMarkerOf, leadErasureKey, listLeadKeys } from "../../lib/leads/erase.ts";
import { indexKeysOf, isWaiting } from "../../lib/leads/indexes.ts";
import { leadByLeadgenKey, leadTimelinePrefix } from "../../lib/leads/keys.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { ERASED_LEADGEN } from "../../lib/leads/store.ts";
import { runRetention } from "../../lib/services.ts";
import { waitingCountKey } from "../../lib/stats/keys.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { readSse } from "../_helpers/sse.ts";
import { waitFor } from "../_helpers/wait.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../_helpers/webhook_receiver.ts";

const FAST = { OUTBOUND_WEBHOOK_RETRY_MS: "40", JOB_RETRY_DELAY_MS: "40" };
const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Every key and value in the store, values as text (bytes decoded too). */
async function scanStore(kv: Deno.Kv): Promise<{ key: string; value: string }[]> {
  const decoder = new TextDecoder();
  const out: { key: string; value: string }[] = [];
  for await (const entry of kv.list({ prefix: [] })) {
    const text = (v: unknown): string =>
      v instanceof Uint8Array ? decoder.decode(v) : JSON.stringify(v, (_, x) => {
        if (typeof x === "bigint") return String(x);
        if (x instanceof Uint8Array) return decoder.decode(x);
        return x;
      }) ?? "";
    out.push({ key: text(entry.key), value: text(entry.value) });
  }
  return out;
}

/** Asserts that nothing in the store names `lead`: no key with its id, no value with its data. */
async function assertNothingLeft(kv: Deno.Kv, lead: Lead) {
  const personal = [lead.fullName, lead.email, lead.phone].filter((v): v is string => !!v);
  assert.ok(personal.length >= 2, "the lead had personal data to erase");
  for (const { key, value } of await scanStore(kv)) {
    assert.ok(!key.includes(lead.id), `key ${key} still holds the lead's id`);
    for (const text of personal) {
      assert.ok(!key.includes(text), `key ${key} still holds "${text}"`);
      assert.ok(!value.includes(text), `the value of ${key} still holds "${text}": ${value}`);
    }
  }
}

/** Waits until no background job is waiting or running (fetches, outbound deliveries...). */
async function settle(server: TestServer) {
  await server.app.services.leadEvents.catchUp();
  await waitFor(async () => {
    const jobs = await Array.fromAsync(server.kv.list({ prefix: ["jobs"] }));
    return jobs.length === 0;
  }, "every job to finish");
  await server.app.services.leadEvents.catchUp();
}

/** Asserts every kept lead is listed, has its index keys, and the waiting count adds up. */
async function assertIntact(server: TestServer, kept: Lead[]) {
  const { leads } = server.app.services;
  const listed = (await leads.listLeads({ limit: 500 })).leads.map((lead) => lead.id).sort();
  assert.deepEqual(listed, kept.map((lead) => lead.id).sort(), "the other leads are listed");
  const now = await leads.getLeads(kept.map((lead) => lead.id));
  let waiting = 0;
  for (const lead of now) {
    assert.ok(lead, "the other lead is stored");
    const stored = (await server.kv.get<Lead>(["leads", lead.id])).value!;
    for (const key of indexKeysOf(stored)) {
      assert.notEqual((await server.kv.get(key)).versionstamp, null, `index key ${key} is there`);
    }
    if (isWaiting(stored)) waiting++;
    const timeline = await Array.fromAsync(server.kv.list({ prefix: leadTimelinePrefix(lead.id) }));
    assert.ok(timeline.length > 0, "the other lead keeps its timeline");
  }
  assert.equal((await server.kv.get<number>(waitingCountKey())).value ?? 0, waiting);
}

async function addDestination(server: TestServer, receiver: WebhookReceiver) {
  const res = await server.fetch(
    "/api/admin/webhooks",
    json("POST", {
      url: receiver.url,
      events: ["lead.created", "lead.details_fetched", "lead.status_changed", "lead.assigned"],
    }),
  );
  assert.equal(res.status, 201, await res.clone().text());
  receiver.secret = (await res.json()).secret;
}

/** Three webhook leads (details fetched) and one typed in, each worked a little. */
async function makeLeads(server: TestServer): Promise<Lead[]> {
  const simulator = server.app.services.simulator!;
  const simLeads = [simulator.createLead(), simulator.createLead(), simulator.createLead()];
  const res = await simulator.deliver(simLeads, `${server.url}/webhook`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const ids: string[] = [];
  for (const simLead of simLeads) {
    const lead = await waitFor(async () => {
      const found = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      return found?.details === "fetched" ? found : null;
    }, `lead ${simLead.id}'s details`);
    ids.push(lead.id);
  }
  const manual = await server.fetch(
    "/api/leads",
    json("POST", {
      fullName: "Walk In Person",
      phone: "+15555550123",
      email: "walk.in@example.com",
      source: "walk-in",
    }),
  );
  assert.equal(manual.status, 201, await manual.clone().text());
  ids.push((await manual.json()).id);
  const agent = await server.addUser("agent", { name: "Agent Ann" });
  for (const id of [ids[0], ids[3]]) {
    const claim = await fetch(`${server.url}/api/leads/${id}/claim`, {
      method: "POST",
      headers: { cookie: agent.cookie, origin: server.url },
    });
    assert.equal(claim.status, 200, await claim.text());
    const call = await server.fetch(
      `/api/leads/${id}/activities`,
      json("POST", {
        kind: "call",
        outcome: "talked",
        text: "Wants a test drive on Saturday",
        followUpAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    );
    assert.equal(call.status, 201, await call.text());
    const note = await server.fetch(
      `/api/leads/${id}/activities`,
      json("POST", { kind: "note", text: "Prefers email" }),
    );
    assert.equal(note.status, 201);
    const status = await server.fetch(`/api/leads/${id}`, json("PATCH", { status: "qualified" }));
    assert.equal(status.status, 200);
  }
  await settle(server);
  return (await server.app.services.leads.getLeads(ids)) as Lead[];
}

Deno.test("[data care] DELETE /api/leads/:id erases a worked webhook lead and a hand-entered one: no key holds their id, no value their name, email or phone; open dashboards get lead_removed; the others stay listed and indexed", async () => {
  const receiver = startWebhookReceiver();
  const server = await startTestServer({ env: FAST });
  try {
    await addDestination(server, receiver);
    const leads = await makeLeads(server);
    assert.ok(receiver.acceptedCount() > 0, "the outbound webhook got the leads' events");
    const [webhookLead, , , manualLead] = leads;

    // The listing erasure works from covers every key the store holds for the lead.
    const record = (await server.kv.get<Lead>(["leads", webhookLead.id])).value!;
    const listed = new Set(
      (await listLeadKeys(server.kv, record, { defaultCountry: null })).map((k) =>
        JSON.stringify(k)
      ),
    );
    for (const { key } of await scanStore(server.kv)) {
      if (key.includes(webhookLead.id)) assert.ok(listed.has(key), `${key} is listed`);
    }

    const stream = await server.fetch("/api/events");
    const events = readSse(stream);
    assert.equal((await events.nextEvent())?.event, "ready");

    const res = await server.fetch(`/api/leads/${webhookLead.id}`, { method: "DELETE" });
    assert.equal(res.status, 200, await res.clone().text());
    const { audit } = await res.json();
    assert.deepEqual(Object.keys(audit).sort(), [
      "erasedAt",
      "erasedBy",
      "formId",
      "id",
      "leadId",
      "pageId",
      "source",
    ]);
    assert.equal(audit.leadId, webhookLead.id);
    assert.equal(audit.formId, webhookLead.formId);
    assert.equal(audit.erasedBy.id, server.user.id);

    // The open dashboard hears of it at once, by id only.
    let removed = await events.nextEvent();
    // Alerts may come first: the erasure clears the lead's alerts and says so to dashboards.
    while (removed?.event === "alerts" || removed?.event === "heartbeat") {
      removed = await events.nextEvent();
    }
    assert.equal(removed?.event, "lead_removed");
    assert.deepEqual(JSON.parse(removed!.data ?? ""), { id: webhookLead.id });
    await events.close();

    const erasedManual = await server.fetch(`/api/leads/${manualLead.id}`, { method: "DELETE" });
    assert.equal(erasedManual.status, 200);
    await settle(server);

    await assertNothingLeft(server.kv, webhookLead);
    await assertNothingLeft(server.kv, manualLead);
    await assertIntact(server, leads.slice(1, 3));
    assert.equal((await server.fetch(`/api/leads/${webhookLead.id}`)).status, 404);

    // Polling hears of the removal too.
    const polled = await (await server.fetch("/api/leads?since=0")).json();
    assert.ok(polled.removed.some((r: { id: string }) => r.id === webhookLead.id));
    assert.ok(!polled.changes.some((c: { lead: Lead }) => c.lead.id === webhookLead.id));

    // Meta sending the lead again (a retry, a replay, a sync) does not bring it back.
    const simulator = server.app.services.simulator!;
    const again = await simulator.deliver(
      [{ ...simulator.createLead(), id: webhookLead.leadgenId! }],
      `${server.url}/webhook`,
    );
    assert.equal(again.status, 200);
    assert.equal((await again.json()).inserted, 0);
    assert.equal(
      (await server.kv.get(leadByLeadgenKey(webhookLead.leadgenId!))).value,
      ERASED_LEADGEN,
    );
    assert.equal(await server.app.services.leads.getLeadByLeadgenId(webhookLead.leadgenId!), null);

    // Admins see the audit entries on Settings.
    const settings = await (await server.fetch("/settings")).text();
    assert.match(settings, new RegExp(`data-erasure="${webhookLead.id}"`));
    assert.match(settings, new RegExp(`data-erasure="${manualLead.id}"`));
  } finally {
    await server.close();
    await receiver.close();
  }
});

Deno.test("[data care] erasure route: admin 200, agent 403 (lead kept), anonymous 401, unknown id 404, no Origin 403", async () => {
  const server = await startTestServer();
  try {
    const created = await server.fetch(
      "/api/leads",
      json("POST", { fullName: "Pat Doe", phone: "+15555550199", source: "phone" }),
    );
    const { id } = await created.json();
    const agent = await server.addUser("agent");
    const asAgent = await fetch(`${server.url}/api/leads/${id}`, {
      method: "DELETE",
      headers: { cookie: agent.cookie, origin: server.url },
    });
    assert.equal(asAgent.status, 403);
    await asAgent.body?.cancel();
    const anonymous = await fetch(`${server.url}/api/leads/${id}`, {
      method: "DELETE",
      headers: { origin: server.url },
    });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const crossSite = await fetch(`${server.url}/api/leads/${id}`, {
      method: "DELETE",
      headers: { cookie: server.user.cookie, origin: "https://evil.example" },
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    assert.equal((await server.fetch(`/api/leads/${id}`)).status, 200, "still there");

    const unknown = await server.fetch("/api/leads/01HZZZZZZZZZZZZZZZZZZZZZZZ", {
      method: "DELETE",
    });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const ok = await server.fetch(`/api/leads/${id}`, { method: "DELETE" });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const twice = await server.fetch(`/api/leads/${id}`, { method: "DELETE" });
    assert.equal(twice.status, 404, "a second erasure finds nothing");
    await twice.body?.cancel();
  } finally {
    await server.close();
  }
});

Deno.test("[data care] the lead page: admins get Delete with a confirmation step that needs no script; agents get neither and their post is refused", async () => {
  const server = await startTestServer();
  try {
    const created = await server.fetch(
      "/api/leads",
      json("POST", { fullName: "Sam Page", email: "sam.page@example.com", source: "sms" }),
    );
    const { id } = await created.json();
    const agent = await server.addUser("agent");
    const agentPage = await fetch(`${server.url}/leads/${id}?erase=confirm`, {
      headers: { cookie: agent.cookie },
    });
    const agentHtml = await agentPage.text();
    assert.ok(!agentHtml.includes("data-erase"), "no Delete control for an agent");
    const agentPost = await fetch(`${server.url}/leads/${id}`, {
      method: "POST",
      headers: {
        cookie: agent.cookie,
        origin: server.url,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "action=erase",
      redirect: "manual",
    });
    assert.equal(agentPost.status, 403);
    await agentPost.body?.cancel();

    const page = await (await server.fetch(`/leads/${id}`)).text();
    assert.match(page, /data-erase-start/);
    assert.ok(!page.includes("data-erase-form"), "no one-click delete");
    const confirm = await (await server.fetch(`/leads/${id}?erase=confirm`)).text();
    assert.match(confirm, /<form method="post" action="\/leads\/[0-9A-Z]+" data-erase-form/);
    assert.match(confirm, /name="action" value="erase"/);

    const posted = await server.fetch(`/leads/${id}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "action=erase",
      redirect: "manual",
    });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get("location"), "/");
    await posted.body?.cancel();
    assert.equal((await server.fetch(`/api/leads/${id}`)).status, 404);
  } finally {
    await server.close();
  }
});

Deno.test("[data care] retention with an injected clock purges only leads created before the cut-off, with all their keys; the waiting count follows", async () => {
  const server = await startTestServer({ env: { LEAD_RETENTION_DAYS: "30" } });
  try {
    const { leads } = server.app.services;
    const now = Date.parse("2026-06-01T12:00:00Z");
    const day = 86_400_000;
    const stubs = [40, 31, 29, 1].map((age) => {
      const lead = testMetaLead({ createdTime: Math.floor((now - age * day) / 1000) });
      return {
        ...lead,
        fullName: `Person ${age} days`,
        email: `person${age}@example.com`,
        phone: `+1555555${String(age).padStart(4, "0")}`,
        details: "fetched" as const,
      };
    });
    const inserted = await leads.insertLeads(stubs);
    assert.equal(inserted.inserted.length, 4);
    for (const lead of inserted.inserted) {
      await leads.updateLead(lead.id, (l) => ({
        ...l,
        timeline: [...l.timeline, { at: new Date().toISOString(), event: "note", detail: "x" }],
      }));
    }
    const [old40, old31, young29, young1] = inserted.inserted;

    // Before the cut-off nothing goes; the clock is the one handed in, not the machine's.
    await runRetention(server.app.services, () => new Date(now - 20 * day));
    assert.equal((await leads.listLeads()).leads.length, 4);

    await runRetention(server.app.services, () => new Date(now));
    await assertNothingLeft(server.kv, old40);
    await assertNothingLeft(server.kv, old31);
    await assertIntact(server, [young29, young1]);
    // Idempotent: a second pass finds nothing more.
    await runRetention(server.app.services, () => new Date(now));
    assert.equal((await leads.listLeads()).leads.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("[data care] a removal interrupted after its first commit is finished by the next retention pass (resumable)", async () => {
  const server = await startTestServer();
  try {
    const { leads } = server.app.services;
    const [lead] = (await leads.insertLeads([{
      ...testMetaLead({ createdTime: Math.floor(Date.now() / 1000) }),
      fullName: "Crash Test",
      email: "crash.test@example.com",
      details: "fetched" as const,
    }])).inserted;
    // The first commit of eraseLead, and then "a crash": the timeline records are still there.
    await leads.removeLead(lead.id, {
      onCommit(op, removed) {
        op.set(
          leadErasureKey(lead.id),
          erasureMarkerOf(removed, "erasure", { defaultCountry: null }),
        );
      },
    });
    assert.ok(
      (await Array.fromAsync(server.kv.list({ prefix: leadTimelinePrefix(lead.id) }))).length > 0,
    );
    await runRetention(server.app.services);
    await assertNothingLeft(server.kv, lead);
    assert.equal(
      await eraseLead(server.kv, leads, lead.id, {
        reason: "erasure",
        defaultCountry: null,
      }),
      null,
    );
  } finally {
    await server.close();
  }
});

Deno.test("[data care] raw webhook deliveries are deleted after DELIVERY_RETENTION_DAYS (default 30), by an injected clock", async () => {
  for (const [env, keptDays] of [[{}, 30], [{ DELIVERY_RETENTION_DAYS: "5" }, 5]] as const) {
    const server = await startTestServer({ env });
    try {
      assert.equal(server.config.retention.deliveryDays, keptDays);
      const simulator = server.app.services.simulator!;
      const res = await simulator.deliver([simulator.createLead()], `${server.url}/webhook`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const count = async () =>
        (await Array.fromAsync(server.kv.list({ prefix: ["webhook_deliveries"] }))).length;
      assert.equal(await count(), 1);
      const day = 86_400_000;
      await runRetention(server.app.services, () => new Date(Date.now() + (keptDays - 1) * day));
      assert.equal(await count(), 1, "kept within the period");
      await runRetention(server.app.services, () => new Date(Date.now() + (keptDays + 1) * day));
      assert.equal(await count(), 0, "deleted after it");
      assert.equal(
        (await Array.fromAsync(server.kv.list({ prefix: ["webhook_delivery_chunks"] }))).length,
        0,
      );
    } finally {
      await server.close();
    }
  }
});
