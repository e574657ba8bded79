// The HTTP API of working leads: claim, assign, activities, views, stats and shifts.

import assert from "node:assert/strict";
import { type TestApp, type TestUser, withTestApp } from "../_helpers/app.ts";

function as(app: TestApp, user: TestUser) {
  return (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("cookie", user.cookie);
    if (init.method && init.method !== "GET") headers.set("origin", "http://localhost");
    return app.app.fetch(new Request("http://localhost" + path, { ...init, headers }));
  };
}

function json(method: string, body: unknown): RequestInit {
  return { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

async function addLead(app: TestApp, fullName = "Pat Prospect"): Promise<string> {
  const res = await app.fetch(
    "/api/leads",
    json("POST", { fullName, phone: "+15555550100", source: "phone" }),
  );
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

Deno.test("[e2e] POST /api/leads/:id/claim - two agents at once: one 200, one 409 naming the owner", async () => {
  await withTestApp(async (app) => {
    const ann = await app.addUser("agent", { name: "Ann" });
    const bob = await app.addUser("agent", { name: "Bob" });
    for (let round = 0; round < 5; round++) {
      const id = await addLead(app);
      const [a, b] = await Promise.all([
        as(app, ann)(`/api/leads/${id}/claim`, { method: "POST" }),
        as(app, bob)(`/api/leads/${id}/claim`, { method: "POST" }),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [200, 409]);
      const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
      const lead = await winner.json();
      const conflict = await loser.json();
      assert.match(conflict.error, /owns it already/);
      assert.deepEqual(conflict.owner, { id: lead.ownerId, name: lead.ownerName });
      assert.ok([ann.id, bob.id].includes(lead.ownerId));
    }
  });
});

Deno.test("[e2e] PATCH /api/leads/:id ownerId - agents only to or from themselves (403), admins any lead", async () => {
  await withTestApp(async (app) => {
    const ann = await app.addUser("agent", { name: "Ann" });
    const bob = await app.addUser("agent", { name: "Bob" });
    const id = await addLead(app);
    const patch = (user: TestUser | null, ownerId: string | null) =>
      (user ? as(app, user) : app.fetch)(`/api/leads/${id}`, json("PATCH", { ownerId }));

    assert.equal((await patch(ann, bob.id)).status, 403, "an agent cannot give it to Bob");
    const taken = await patch(ann, ann.id);
    assert.equal(taken.status, 200);
    assert.equal((await taken.json()).ownerName, "Ann");
    const steal = await patch(bob, bob.id);
    assert.equal(steal.status, 403);
    assert.match((await steal.json()).error, /Ann owns it/);
    assert.equal((await patch(bob, null)).status, 403, "nor release Ann's lead");
    assert.equal((await patch(ann, null)).status, 200, "Ann releases her own");
    // The admin (the app's own user) moves it anywhere.
    const given = await patch(null, bob.id);
    assert.equal(given.status, 200);
    const lead = await given.json();
    assert.equal(lead.ownerId, bob.id);
    assert.equal(lead.timeline.at(-1).event, "assigned");
    assert.equal(lead.timeline.at(-1).by, "Test Admin");
    assert.equal((await patch(null, "01HZZZZZZZZZZZZZZZZZZZZZZZ")).status, 400, "unknown user");
    assert.equal((await patch(null, "nobody")).status, 400);
    const both = await app.fetch(
      `/api/leads/${id}`,
      json("PATCH", { ownerId: ann.id, status: "contacted" }),
    );
    assert.equal(both.status, 200);
    const after = await both.json();
    assert.deepEqual([after.ownerName, after.status], ["Ann", "contacted"]);
  });
});

Deno.test("[e2e] POST /api/leads/:id/activities - 201 with the activity, 400 with a reason per field, text stays text", async () => {
  await withTestApp(async (app) => {
    const id = await addLead(app);
    const bad = await app.fetch(
      `/api/leads/${id}/activities`,
      json("POST", { kind: "note", outcome: "talked" }),
    );
    assert.equal(bad.status, 400);
    const body = await bad.json();
    assert.deepEqual(body.fields, {
      outcome: "Only a call has an outcome: leave the call outcome empty.",
      text: "Write the note: a note needs text.",
    });

    const text = '<img src=x onerror="alert(1)"> call back after 5';
    const res = await app.fetch(
      `/api/leads/${id}/activities`,
      json("POST", {
        kind: "call",
        outcome: "voicemail",
        text,
        followUpAt: "2026-01-01T09:00:00Z",
      }),
    );
    // A follow-up more than a week in the past is refused; a near one is fine.
    assert.equal(res.status, 400);
    const soon = new Date(Date.now() + 60 * 60_000).toISOString();
    const ok = await app.fetch(
      `/api/leads/${id}/activities`,
      json("POST", {
        kind: "call",
        outcome: "voicemail",
        text,
        followUpAt: soon,
      }),
    );
    assert.equal(ok.status, 201);
    const activity = await ok.json();
    assert.equal(activity.kind, "call");
    assert.equal(activity.text, text);
    assert.equal(activity.byName, "Test Admin");

    const lead = await (await app.fetch(`/api/leads/${id}`)).json();
    assert.equal(lead.callAttempts, 1);
    assert.equal(lead.nextFollowUpAt, soon);
    assert.equal(lead.lastActivityAt, activity.at);
    const list = await (await app.fetch(`/api/leads/${id}/activities`)).json();
    assert.equal(list.activities.length, 1);

    // The lead page shows the text as text, never as markup.
    const page = await (await app.fetch(`/leads/${id}`)).text();
    assert.ok(page.includes("&lt;img src=x onerror="), "escaped on the page");
    assert.ok(!page.includes("<img src=x"), "never markup");
    assert.equal(
      (await app.fetch(
        `/api/leads/01HZZZZZZZZZZZZZZZZZZZZZZZ/activities`,
        json("POST", { kind: "sms" }),
      )).status,
      404,
    );
  });
});

Deno.test("[e2e] GET /api/leads?view= - mine and unassigned, all, and due", async () => {
  await withTestApp(async (app) => {
    const ann = await app.addUser("agent", { name: "Ann" });
    const mine = await addLead(app, "Mine");
    const free = await addLead(app, "Free");
    const anns = await addLead(app, "Ann's");
    await app.fetch(`/api/leads/${mine}/claim`, { method: "POST" });
    await as(app, ann)(`/api/leads/${anns}/claim`, { method: "POST" });
    const names = async (view: string, user?: TestUser) => {
      const res = await (user ? as(app, user) : app.fetch)(`/api/leads?view=${view}`);
      assert.equal(res.status, 200);
      return (await res.json()).leads.map((lead: { fullName: string }) => lead.fullName);
    };
    assert.deepEqual(await names("mine"), ["Free", "Mine"]);
    assert.deepEqual(await names("mine", ann), ["Ann's", "Free"]);
    assert.deepEqual(await names("all", ann), ["Ann's", "Free", "Mine"]);
    assert.equal((await app.fetch("/api/leads?view=nope")).status, 400);

    const past = new Date(Date.now() - 60 * 60_000).toISOString();
    const later = new Date(Date.now() - 10 * 60_000).toISOString();
    await app.fetch(
      `/api/leads/${free}/activities`,
      json("POST", { kind: "sms", followUpAt: later }),
    );
    await app.fetch(
      `/api/leads/${mine}/activities`,
      json("POST", { kind: "email", followUpAt: past }),
    );
    await as(app, ann)(
      `/api/leads/${anns}/activities`,
      json("POST", { kind: "call", followUpAt: past }),
    );
    // Admins see everyone's, oldest first.
    assert.deepEqual(await names("due"), ["Mine", "Ann's", "Free"]);
    // An agent: their own and those nobody owns, not the admin's.
    assert.deepEqual(await names("due", ann), ["Ann's", "Free"]);
  });
});

Deno.test("[e2e] GET /api/stats - today's figures and the waiting leads; bad ranges are 400", async () => {
  await withTestApp(async (app) => {
    const first = await addLead(app, "First");
    await addLead(app, "Second");
    await app.fetch(`/api/leads/${first}/claim`, { method: "POST" });
    await app.fetch(`/api/leads/${first}`, json("PATCH", { status: "contacted" }));
    const res = await app.fetch("/api/stats");
    assert.equal(res.status, 200);
    const stats = await res.json();
    assert.equal(stats.leads, 2);
    assert.equal(stats.contacted, 1);
    assert.equal(stats.within5MinShare, 0.5);
    assert.equal(typeof stats.medianFirstContactMs, "number");
    assert.equal(stats.waiting.count, 1);
    assert.deepEqual(stats.byOwner.map((o: { name: string; leads: number }) => [o.name, o.leads]), [
      ["Test Admin", 1],
      ["Unassigned", 1],
    ]);
    const week = await app.fetch(
      `/api/stats?from=${new Date(Date.now() - 7 * 864e5).toISOString()}&to=${
        new Date().toISOString()
      }`,
    );
    assert.equal((await week.json()).leads, 2);
    assert.equal((await app.fetch("/api/stats?from=yesterday")).status, 400);
    assert.equal(
      (await app.fetch("/api/stats?from=2020-01-01T00:00:00Z&to=2021-01-01T00:00:00Z")).status,
      400,
    );
  });
});

Deno.test("[e2e] POST /api/shift - switch yourself on and off shift", async () => {
  await withTestApp(async (app) => {
    const ann = await app.addUser("agent", { name: "Ann" });
    const on = await as(app, ann)("/api/shift", json("POST", { onShift: true }));
    assert.equal(on.status, 200);
    assert.deepEqual((await on.json()).agents.map((a: { name: string }) => a.name), ["Ann"]);
    assert.equal(
      (await as(app, ann)("/api/shift", json("POST", { onShift: "maybe" }))).status,
      400,
    );
    const form = await as(app, ann)("/api/shift", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        referer: "http://localhost/?view=all",
      },
      body: "onShift=off",
    });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get("location"), "/?view=all");
    assert.equal((await (await as(app, ann)("/api/shift")).json()).onShift, false);
  });
});
