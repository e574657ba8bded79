import assert from "node:assert/strict";
import { createTestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const HTML = { accept: "text/html" };

Deno.test("[e2e] lead page - a status form that works without JavaScript, and speed to lead", async () => {
  const app = await createTestApp();
  try {
    // Submitted 4 min 10 s ago: contacting it now reads "4 min".
    const lead = testMetaLead({ createdTime: Math.floor((Date.now() - 250_000) / 1000) });
    await app.app.services.leads.insertLeads([lead]);

    const before = await (await app.fetch(`/leads/${lead.id}`, { headers: HTML })).text();
    assert.match(
      before,
      new RegExp(`<form class="status-form" method="post" action="/api/leads/${lead.id}/status"`),
    );
    for (const status of ["new", "contacted", "qualified", "won", "lost"]) {
      assert.match(before, new RegExp(`<button[^>]*name="status" value="${status}"`));
    }
    assert.match(before, /value="new"[^>]*aria-pressed="true"/);
    assert.match(before, /value="contacted"[^>]*aria-pressed="false"/);
    assert.match(before, /data-speed-to-lead[^>]*>Not contacted yet</);

    const posted = await app.fetch(`/api/leads/${lead.id}/status`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...HTML },
      body: "status=contacted",
      redirect: "manual",
    });
    assert.equal(posted.status, 303);

    const after = await (await app.fetch(`/leads/${lead.id}`, { headers: HTML })).text();
    assert.match(after, /value="contacted"[^>]*aria-pressed="true"/);
    assert.match(after, /data-speed-to-lead[^>]*>Contacted 4 min after the form was submitted</);
    assert.match(after, /status changed.*new → contacted.*· by Test Admin/s);
    const json = await (await app.fetch(`/api/leads/${lead.id}`)).json();
    assert.equal(typeof json.firstContactAt, "string");
  } finally {
    await app.close();
  }
});

Deno.test("[e2e] dashboard rows - a Contacted form on new rows only, the status shown", async () => {
  const app = await createTestApp();
  try {
    const fresh = testMetaLead();
    const called = testMetaLead();
    await app.app.services.leads.insertLeads([fresh, called]);
    await app.fetch(`/api/leads/${called.id}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "contacted" }),
    }).then((res) => res.body?.cancel());

    const html = await (await app.fetch("/", { headers: HTML })).text();
    const row = (id: string) => {
      const match = new RegExp(`<tr[^>]*data-lead-id="${id}"[\\s\\S]*?</tr>`).exec(html);
      assert.ok(match, `row ${id} rendered`);
      return match[0];
    };
    const newRow = row(fresh.id);
    assert.match(newRow, /data-status="new"/);
    assert.match(newRow, /class="tag tag-status tag-status-new">New</);
    assert.match(
      newRow,
      new RegExp(
        `<form class="status-form-inline" method="post" action="/api/leads/${fresh.id}/status">`,
      ),
    );
    assert.match(
      newRow,
      /<button type="submit" name="status" value="contacted"[^>]*>Mark contacted/,
    );
    const calledRow = row(called.id);
    assert.match(calledRow, /class="tag tag-status tag-status-contacted">Contacted</);
    assert.doesNotMatch(calledRow, /status-form-inline/, "nothing to mark on a contacted row");
  } finally {
    await app.close();
  }
});
