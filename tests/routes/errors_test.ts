import assert from "node:assert/strict";
import { createTestApp, type TestApp } from "../_helpers/app.ts";

const UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

/** A lead entered by hand through the API; its id. */
async function addLead(fetch: TestApp["fetch"], fullName: string): Promise<string> {
  const res = await fetch("/api/leads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ fullName, phone: "+15555550100", source: "phone" }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).id;
}

Deno.test("[e2e] errors - a cursor we did not give out is 400 JSON on the API and a 400 page on the dashboard", async (t) => {
  const { fetch, close } = await createTestApp();
  try {
    const lead = { id: await addLead(fetch, "Cursor Carla") };
    await t.step("GET /api/leads?cursor=", async () => {
      const res = await fetch("/api/leads?cursor=garbage&view=all");
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = await res.json();
      assert.equal(body.error, 'Cannot list leads: cursor "garbage" is not one we gave out');
      assert.ok(body.requestId);
    });
    await t.step("GET /api/leads/:id/activities?before=", async () => {
      const res = await fetch(`/api/leads/${lead.id}/activities?before=nope`);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /Cannot list activities: cursor "nope"/);
    });
    await t.step("GET /api/leads/:id/timeline?before=", async () => {
      const res = await fetch(`/api/leads/${lead.id}/timeline?before=nope`);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /Cannot list the timeline: cursor "nope"/);
    });
    await t.step("GET /?cursor= is a 400 page of the app saying why", async () => {
      const res = await fetch("/?cursor=garbage&view=all", { headers: { accept: "text/html" } });
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      const body = await res.text();
      assert.match(body, /<h1>Cannot show this page<\/h1>/);
      assert.match(body, /Cannot list leads: cursor &quot;garbage&quot; is not one we gave out/);
      assert.match(body, /href="\/">Back to the dashboard/);
      assert.doesNotMatch(body, /Something went wrong/);
    });
  } finally {
    await close();
  }
});

Deno.test("[e2e] errors - the core's not-found, conflict and bad-input errors get their statuses", async (t) => {
  const { fetch, addUser, close } = await createTestApp();
  try {
    await t.step("an activity on no lead is 404", async () => {
      const res = await fetch(`/api/leads/${UNKNOWN}/activities`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ kind: "note", text: "hello" }),
      });
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error, `No lead has the id ${UNKNOWN}`);
    });
    await t.step("claiming no lead is 404", async () => {
      const res = await fetch(`/api/leads/${UNKNOWN}/claim`, {
        method: "POST",
        headers: { accept: "application/json" },
      });
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error, `No lead has the id ${UNKNOWN}`);
    });
    await t.step("the lead page's form on no lead is the 404 page, not JSON", async () => {
      for (const action of ["claim", "release"]) {
        const res = await fetch(`/leads/${UNKNOWN}`, {
          method: "POST",
          headers: { accept: "text/html", "content-type": "application/x-www-form-urlencoded" },
          body: `action=${action}`,
        });
        assert.equal(res.status, 404, action);
        assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
        assert.match(await res.text(), /Lead not found/);
      }
    });
    await t.step("every lead route answers no lead with the same message", async () => {
      const patch = await fetch(`/api/leads/${UNKNOWN}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ownerId: null }),
      });
      assert.equal(patch.status, 404);
      assert.equal((await patch.json()).error, `No lead has the id ${UNKNOWN}`);
      for (const path of ["", "/timeline", "/activities"]) {
        const res = await fetch(`/api/leads/${UNKNOWN}${path}`);
        assert.equal(res.status, 404, path);
        assert.equal((await res.json()).error, `No lead has the id ${UNKNOWN}`, path);
      }
    });
    await t.step("a claim someone else won is 409 naming the owner", async () => {
      const lead = { id: await addLead(fetch, "Claimed Clara") };
      const agent = await addUser("agent", { name: "Agent Ann" });
      const first = await fetch(`/api/leads/${lead.id}/claim`, {
        method: "POST",
        headers: { accept: "application/json", cookie: agent.cookie },
      });
      assert.equal(first.status, 200);
      await first.body?.cancel();
      const second = await fetch(`/api/leads/${lead.id}/claim`, {
        method: "POST",
        headers: { accept: "application/json" },
      });
      assert.equal(second.status, 409);
      const body = await second.json();
      assert.equal(body.error, "Cannot claim the lead: Agent Ann owns it already");
      assert.deepEqual(body.owner, { id: agent.id, name: "Agent Ann" });
    });
    await t.step("a bad status is 400", async () => {
      const lead = { id: await addLead(fetch, "Status Sam") };
      const res = await fetch(`/api/leads/${lead.id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "Contacted" }),
      });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /status/);
    });
    await t.step("a duplicate email is 409", async () => {
      const body = {
        email: "dup@example.com",
        name: "Dup",
        role: "agent",
        password: "long enough pw",
      };
      const init = {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      };
      assert.equal((await fetch("/api/admin/users", init)).status, 201);
      const again = await fetch("/api/admin/users", { ...init, body: JSON.stringify(body) });
      assert.equal(again.status, 409);
      assert.match((await again.json()).error, /already has an account/);
    });
  } finally {
    await close();
  }
});
