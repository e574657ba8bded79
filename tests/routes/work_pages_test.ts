// The server-rendered side of working leads: duplicate badges, the lead page's forms without
// JavaScript, the routing settings page.

import assert from "node:assert/strict";
import { applyLeadDetails } from "../../lib/leads/model.ts";
import { TIME_ZONE_COOKIE } from "../../lib/format/time.ts";
import { getTeamSettings, saveTeamSettings } from "../../lib/routing/settings.ts";
import { type TestApp, withTestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

async function metaLeadWith(app: TestApp, phone: string, email: string, minutesAgo: number) {
  const lead = testMetaLead({ createdTime: Math.floor(Date.now() / 1000) - minutesAgo * 60 });
  const store = app.app.services.leads;
  await store.insertLeads([lead]);
  await store.updateLead(
    lead.id,
    (l) => applyLeadDetails(l, { fullName: "Dee Dupe", phone, email }, new Date()),
  );
  return lead.id;
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  };
}

/** The HTML of the row of lead `id` on `body`. */
function row(body: string, id: string): string {
  const start = body.indexOf(`data-lead-id="${id}"`);
  assert.ok(start >= 0, `row ${id} is on the page`);
  return body.slice(start, body.indexOf("</li>", start));
}

Deno.test("[e2e] duplicates - a hand-entered lead matching a Meta lead: badge on its row and page, linking the Meta lead", async () => {
  await withTestApp(async (app) => {
    const meta = await metaLeadWith(app, "+15555550142", "dee@example.com", 60);
    const res = await app.fetch("/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Dee by phone", phone: "+15555550142", source: "phone" }),
    });
    const manual = (await res.json()).id;
    const dashboard = await (await app.fetch("/?view=all")).text();
    assert.match(
      row(dashboard, manual),
      new RegExp(`href="/leads/${meta}" data-duplicate="${meta}"`),
    );
    assert.match(row(dashboard, manual), /Possible duplicate/);
    assert.doesNotMatch(row(dashboard, meta), /data-duplicate/);
    const page = await (await app.fetch(`/leads/${manual}`)).text();
    assert.match(page, new RegExp(`href="/leads/${meta}" data-duplicate="${meta}"`));
  });
});

Deno.test("[e2e] duplicates - a person who submits a Meta form twice: the later lead's row and page link the first", async () => {
  await withTestApp(async (app) => {
    const first = await metaLeadWith(app, "+15555550142", "dee@example.com", 60);
    const second = await metaLeadWith(app, "+1 555 555 0142", "other@example.com", 2);
    await app.app.services.worker.runOnce();
    const dashboard = await (await app.fetch("/?view=all")).text();
    assert.match(row(dashboard, second), new RegExp(`data-duplicate="${first}"`));
    assert.doesNotMatch(row(dashboard, first), /data-duplicate/);
    const page = await (await app.fetch(`/leads/${second}`)).text();
    assert.match(page, new RegExp(`href="/leads/${first}" data-duplicate="${first}"`));
    assert.match(page, /same phone as the earlier Meta lead Dee Dupe/);
  });
});

Deno.test("[e2e] lead page forms - claim, release, assign and log an activity without JavaScript", async () => {
  await withTestApp(async (app) => {
    const ann = await app.addUser("agent", { name: "Ann" });
    const res = await app.fetch("/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Pat", phone: "+15555550100", source: "phone" }),
    });
    const id = (await res.json()).id;
    const path = `/leads/${id}`;
    const claim = await app.fetch(path, form({ action: "claim" }));
    assert.equal(claim.status, 303);
    assert.equal(claim.headers.get("location"), path);
    assert.match(await (await app.fetch(path)).text(), /Owner: you/);

    // Ann cannot take it: the page says who has it.
    const annFetch = (init: RequestInit) =>
      app.app.fetch(
        new Request(`http://localhost${path}`, {
          ...init,
          headers: {
            ...init.headers as Record<string, string>,
            cookie: ann.cookie,
            origin: "http://localhost",
          },
        }),
      );
    const taken = await annFetch(form({ action: "claim" }));
    assert.equal(taken.status, 409);
    assert.match(await taken.text(), /Test Admin owns it already/);
    const forbidden = await annFetch(form({ action: "release" }));
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();

    assert.equal((await app.fetch(path, form({ action: "assign", ownerId: ann.id }))).status, 303);
    assert.equal((await app.app.services.leads.getLead(id))?.ownerName, "Ann");

    const bad = await app.fetch(
      path,
      form({
        action: "activity",
        kind: "note",
        outcome: "talked",
        text: "",
        followUpLocal: "soon",
      }),
    );
    assert.equal(bad.status, 400);
    const badPage = await bad.text();
    assert.match(badPage, /Only a call has an outcome: leave the call outcome empty\./);
    assert.match(badPage, /Write the note: a note needs text\./);
    assert.match(badPage, /The follow-up time must be a date and time\./);

    const tomorrow = new Date(Date.now() + 864e5).toISOString().slice(0, 16);
    const ok = await app.fetch(
      path,
      form({
        action: "activity",
        kind: "call",
        outcome: "talked",
        text: "Booked",
        followUpLocal: tomorrow,
      }),
    );
    assert.equal(ok.status, 303);
    const lead = await app.app.services.leads.getLead(id);
    assert.equal(lead?.callAttempts, 1);
    assert.equal(lead?.status, "contacted");
    // The team's zone is UTC by default: the wall-clock time typed is that UTC time.
    assert.equal(lead?.nextFollowUpAt, `${tomorrow}:00.000Z`);
  });
});

Deno.test("[e2e] /team/routing - admins change routing and the clock; agents may not", async () => {
  await withTestApp(async (app) => {
    const page = await app.fetch("/team/routing");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Nobody is on shift/);
    const bad = await app.fetch(
      "/team/routing",
      form({ timeZone: "Mars/Olympus", amberMinutes: "5", redMinutes: "3" }),
    );
    assert.equal(bad.status, 400);
    const badBody = await bad.text();
    assert.match(badBody, /The time zone must be a name such as Europe\/Berlin or UTC\./);
    assert.match(badBody, /The red threshold must be more than the amber threshold\./);

    const saved = await app.fetch(
      "/team/routing",
      form({
        routingEnabled: "on",
        workingHoursEnabled: "on",
        workingDays: "1",
        workStart: "08:00",
        workEnd: "18:00",
        reassignAfterMinutes: "20",
        timeZone: "Europe/Berlin",
        amberMinutes: "3",
        redMinutes: "10",
      }),
    );
    assert.equal(saved.status, 303);
    const settings = await getTeamSettings(app.kv);
    assert.equal(settings.routing.enabled, true);
    assert.ok(settings.routing.since);
    assert.deepEqual(settings.routing.workingHours, { days: [1], start: "08:00", end: "18:00" });
    assert.equal(settings.routing.reassignAfterMinutes, 20);
    assert.deepEqual(settings.clock, { amberMinutes: 3, redMinutes: 10 });
    assert.equal(settings.timeZone, "Europe/Berlin");
    // The dashboard's island gets the thresholds.
    assert.match(
      await (await app.fetch("/")).text(),
      /"clock":\{"amberMs":180000,"redMs":600000\}/,
    );

    const agent = await app.addUser("agent");
    const refused = await app.app.fetch(
      new Request("http://localhost/team/routing", { headers: { cookie: agent.cookie } }),
    );
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
  });
});

Deno.test("[e2e] lead page - the follow-up is typed and shown in the reader's zone; the team's zone until the dashboard has told it", async () => {
  await withTestApp(async (app) => {
    // The team works in Tokyo (+9, no daylight saving); this reader's browser is in Kolkata (+5:30).
    const current = await getTeamSettings(app.kv);
    await saveTeamSettings(app.kv, { ...current, timeZone: "Asia/Tokyo" });
    const res = await app.fetch("/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Zoe Zone", phone: "+15555550160", source: "phone" }),
    });
    const id = (await res.json()).id;
    const path = `/leads/${id}`;
    const kolkata = `${app.user.cookie}; ${TIME_ZONE_COOKIE}=Asia%2FKolkata`;

    const page = await (await app.fetch(path, { headers: { cookie: kolkata } })).text();
    assert.match(page, /Follow up at \(Asia\/Kolkata time\)/);
    assert.match(page, /<input type="hidden" name="followUpZone" value="Asia\/Kolkata"\/>/);

    // Tomorrow at 15:30 as the reader typed it: 10:00 UTC.
    const day = new Date(Date.now() + 864e5).toISOString().slice(0, 10);
    const logged = await app.fetch(path, {
      ...form({
        action: "activity",
        kind: "call",
        outcome: "voicemail",
        text: "",
        followUpLocal: `${day}T15:30`,
        followUpZone: "Asia/Kolkata",
      }),
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: kolkata },
    });
    assert.equal(logged.status, 303);
    await logged.body?.cancel();
    assert.equal(
      (await app.app.services.leads.getLead(id))?.nextFollowUpAt,
      `${day}T10:00:00.000Z`,
    );

    // Shown back as typed, in the reader's zone, on the work card and the timeline alike.
    const after = await (await app.fetch(path, { headers: { cookie: kolkata } })).text();
    const shown = new RegExp(`datetime="${day}T10:00:00.000Z"[^>]*>[^<]*15:30:00 GMT\\+5:30<`, "g");
    assert.equal([...after.matchAll(shown)].length, 2, "next follow-up and its timeline line");
    assert.doesNotMatch(after, />[^<]*\d UTC</, "no time in UTC");

    // A reader whose dashboard has not told its zone yet reads (and types) the team's.
    const plain = await (await app.fetch(path)).text();
    assert.match(plain, /Follow up at \(Asia\/Tokyo time\)/);
    assert.match(plain, new RegExp(`datetime="${day}T10:00:00.000Z"[^>]*>[^<]*19:00:00 GMT\\+9<`));
  });
});
