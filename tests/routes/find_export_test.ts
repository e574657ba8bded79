// Issue 11 through the app: the filtered list (API and page, without JavaScript), the CSV export,
// bulk changes, saved views, the table's answers per form, and the Reports page.

import assert from "node:assert/strict";
import type { Lead } from "../../lib/leads/model.ts";
import type { BulkAnswer, SavedView } from "../../lib/wire.ts";
import { createTestApp, type TestApp, type TestUser } from "../_helpers/app.ts";
import { GENERATED_CAMPAIGNS, GENERATED_FORMS, generateLeads } from "../_helpers/lead_generator.ts";

const JSON_HEADERS = { "content-type": "application/json" };

async function withLeads(
  fn: (t: TestApp, leads: Lead[], agent: TestUser) => Promise<void>,
  count = 300,
) {
  const t = await createTestApp();
  try {
    const agent = await t.addUser("agent", { name: "Ana Agent" });
    const leads = generateLeads(count, {
      seed: 9,
      owners: [{ id: t.user.id, name: t.user.name }, { id: agent.id, name: agent.name }],
    });
    await t.app.services.leads.insertLeads(leads);
    await fn(t, leads, agent);
  } finally {
    await t.close();
  }
}

async function json<T>(res: Response): Promise<T> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return await res.json() as T;
}

Deno.test("[e2e] GET /api/leads - filters by status, owner, form, campaign, source, dates and q, pages with a cursor, and refuses a wrong parameter with 400", async () => {
  await withLeads(async (t, leads, agent) => {
    const campaign = GENERATED_CAMPAIGNS[0].id;
    const expected = leads
      .filter((l) =>
        ["contacted", "qualified", "won"].includes(l.status) && l.campaignId === campaign &&
        l.ownerId === agent.id
      )
      .sort((a, b) =>
        Date.parse(b.createdTime) - Date.parse(a.createdTime) || (a.id < b.id ? 1 : -1)
      )
      .map((l) => l.id);
    assert.ok(expected.length >= 3, `enough leads match (${expected.length})`);
    const ids: string[] = [];
    let cursor = "";
    for (let page = 0; page < 20; page++) {
      const res = await t.fetch(
        `/api/leads?status=contacted,qualified&status=won&campaignId=${campaign}&owner=${agent.id}&limit=2${cursor}`,
      );
      assert.equal(res.status, 200);
      const body = await json<{ leads: Lead[]; cursor: string | null }>(res);
      ids.push(...body.leads.map((l) => l.id));
      if (!body.cursor) break;
      cursor = `&cursor=${encodeURIComponent(body.cursor)}`;
    }
    assert.deepEqual(ids, expected);

    // owner=me is the signed-in user; q finds a part of a phone number.
    const mine = await json<{ leads: Lead[] }>(await t.fetch("/api/leads?owner=me&limit=500"));
    assert.ok(mine.leads.length > 0 && mine.leads.every((l) => l.ownerId === t.user.id));
    const withPhone = leads.find((l) => l.phone)!;
    const digits = withPhone.phone!.replace(/\D/g, "").slice(3, 9);
    const found = await json<{ leads: Lead[] }>(await t.fetch(`/api/leads?q=${digits}`));
    assert.ok(found.leads.some((l) => l.id === withPhone.id));

    for (
      const [query, param] of [
        ["status=maybe", "status"],
        ["source=fax", "source"],
        ["sort=name", "sort"],
        ["from=yesterday", "from"],
        ["from=2026-05-02&to=2026-05-01", "to"],
        ["owner=%3Cscript%3E", "owner"],
        ["cursor=nonsense", null],
      ] as const
    ) {
      const res = await t.fetch(`/api/leads?${query}`);
      assert.equal(res.status, 400, query);
      const body = await json<{ error: string; param?: string }>(res);
      assert.match(body.error, /Cannot (filter|list) leads/);
      if (param) assert.equal(body.param, param, query);
    }
  });
});

Deno.test("[e2e] GET / - a filtered dashboard URL renders only its leads on the server, without JavaScript, and its links keep the filter", async () => {
  await withLeads(async (t, leads) => {
    const form = GENERATED_FORMS[2].id;
    const res = await t.fetch(`/?status=new&formId=${form}&sort=created`, {
      headers: { accept: "text/html" },
    });
    assert.equal(res.status, 200);
    const body = await res.text();
    const shown = [...body.matchAll(/<tr class="lead-row[^"]*" data-lead-id="([0-9A-Z]{26})"/g)]
      .map((m) => m[1]);
    const expected = leads.filter((l) => l.status === "new" && l.formId === form)
      .sort((a, b) =>
        Date.parse(a.createdTime) - Date.parse(b.createdTime) || (a.id < b.id ? -1 : 1)
      )
      .slice(0, 50).map((l) => l.id);
    assert.deepEqual(shown, expected, "oldest first, only new leads of the form");
    assert.match(body, /<input type="checkbox" name="status" value="new" checked/);
    assert.match(body, new RegExp(`<option value="${form}" selected`));
    assert.match(body, /<option value="created" selected>Oldest first/);
    assert.match(
      body,
      new RegExp(`href="/api/leads/export.csv\\?status=new&amp;formId=${form}&amp;sort=created"`),
    );
    // A wrong parameter: the page says so and lists every lead rather than failing.
    const wrong = await (await t.fetch("/?status=maybe", { headers: { accept: "text/html" } }))
      .text();
    assert.match(wrong, /role="alert">Cannot filter leads: status &quot;maybe&quot;/);
  });
});

Deno.test("[e2e] GET /api/leads/export.csv - the filtered leads as CSV, streamed, with a BOM; a selection by POST", async () => {
  await withLeads(async (t, leads) => {
    const res = await t.fetch("/api/leads/export.csv?source=meta&status=won");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      res.headers.get("content-disposition") ?? "",
      /^attachment; filename="leads-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    assert.equal(res.headers.get("cache-control"), "no-store");
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes).split("\r\n").filter((line) => line !== "");
    const expected = leads.filter((l) => l.source === "meta" && l.status === "won");
    assert.ok(lines.length - 1 >= expected.length, "a row per lead (answers may span lines)");
    for (const lead of expected) assert.ok(lines.some((line) => line.startsWith(lead.id + ",")));

    const form = new URLSearchParams();
    for (const lead of leads.slice(0, 3)) form.append("id", lead.id);
    const selected = await t.fetch("/api/leads/export.csv", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    assert.equal(selected.status, 200);
    const text = await selected.text();
    assert.deepEqual(
      text.split("\r\n").slice(1, 4).map((line) => line.slice(0, 26)),
      leads.slice(0, 3).map((l) => l.id),
    );
    const none = await t.fetch("/api/leads/export.csv", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "id=nonsense",
    });
    assert.equal(none.status, 400);
    await none.body?.cancel();
  });
});

Deno.test("[e2e] POST /api/leads/bulk - assigns and sets status lead by lead, each through the ownership rules, and says what happened", async () => {
  await withLeads(async (t, leads, agent) => {
    const agentFetch = (path: string, init: RequestInit) =>
      t.app.fetch(
        new Request("http://localhost" + path, {
          ...init,
          headers: { ...init.headers, cookie: agent.cookie, origin: "http://localhost" },
        }),
      );
    const unowned = leads.filter((l) => l.ownerId === null).slice(0, 3);
    const adminOwned = leads.find((l) => l.ownerId === t.user.id)!;
    const res = await agentFetch("/api/leads/bulk", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({
        action: "assign",
        ownerId: agent.id,
        ids: [...unowned.map((l) => l.id), adminOwned.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"],
      }),
    });
    assert.equal(res.status, 200);
    const answer = await json<BulkAnswer>(res);
    assert.equal(answer.updated, 3);
    assert.deepEqual(answer.failed.map((f) => f.id), [adminOwned.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    assert.match(answer.failed[0].error, /Test Admin owns it/);
    assert.match(answer.summary, /^3 updated, 2 failed: /);
    for (const lead of unowned) {
      assert.equal((await t.app.services.leads.getLead(lead.id))!.ownerId, agent.id);
    }

    const status = await json<BulkAnswer>(
      await t.fetch("/api/leads/bulk", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({
          action: "status",
          status: "qualified",
          ids: unowned.map((l) => l.id),
        }),
      }),
    );
    assert.equal(status.updated + status.unchanged, 3);
    for (const lead of unowned) {
      assert.equal((await t.app.services.leads.getLead(lead.id))!.status, "qualified");
    }
    const bad = await t.fetch("/api/leads/bulk", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ action: "delete", ids: [leads[0].id] }),
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  }, 60);
});

Deno.test("[e2e] /api/views - saved views per user: create, list with the built-in ones, rename, delete; a form post comes back to the view", async () => {
  const t = await createTestApp();
  try {
    const created = await t.fetch("/api/views", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({
        name: "Hot this week",
        query: "?status=qualified&from=2026-05-01&view=all&junk=1",
      }),
    });
    assert.equal(created.status, 201);
    const view = await json<SavedView>(created);
    assert.equal(view.query, "status=qualified&from=2026-05-01", "only the filter is kept");
    const listed = await json<{ views: SavedView[] }>(await t.fetch("/api/views"));
    assert.deepEqual(
      listed.views.map((v) => v.name),
      ["Mine and unassigned", "New, waiting", "Due today", "Won this month", "Hot this week"],
    );
    assert.match(listed.views[3].query, /^status=won&from=\d{4}-\d{2}-01$/);

    const duplicate = await t.fetch("/api/views", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: "hot this week", query: "" }),
    });
    assert.equal(duplicate.status, 409);
    await duplicate.body?.cancel();
    const wrong = await t.fetch("/api/views", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: "Bad", query: "status=maybe" }),
    });
    assert.equal(wrong.status, 400);
    await wrong.body?.cancel();

    const renamed = await t.fetch(`/api/views/${view.id}`, {
      method: "PATCH",
      headers: JSON_HEADERS,
      body: JSON.stringify({ name: "Hot leads" }),
    });
    assert.equal((await json<SavedView>(renamed)).name, "Hot leads");

    // Another user neither sees nor deletes it.
    const other = await t.addUser("agent");
    const theirs = await t.app.fetch(
      new Request("http://localhost/api/views", { headers: { cookie: other.cookie } }),
    );
    assert.equal((await json<{ views: SavedView[] }>(theirs)).views.length, 4);
    const steal = await t.app.fetch(
      new Request(`http://localhost/api/views/${view.id}`, {
        method: "DELETE",
        headers: { cookie: other.cookie, origin: "http://localhost" },
      }),
    );
    assert.equal(steal.status, 404);
    await steal.body?.cancel();

    const removed = await t.fetch(`/api/views/${view.id}`, { method: "DELETE" });
    assert.equal(removed.status, 204);

    const form = await t.fetch("/api/views", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "Walk-ins", query: "source=walk-in" }),
      redirect: "manual",
    });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get("location"), "/?source=walk-in");
    const page = await (await t.fetch("/?source=walk-in", { headers: { accept: "text/html" } }))
      .text();
    assert.match(page, /aria-current="page" data-view="[0-9A-Z]{26}">Walk-ins</);
  } finally {
    await t.close();
  }
});

Deno.test("[e2e] /settings/table - an admin chooses the answers a form's rows show; by default its first two custom questions", async () => {
  await withLeads(async (t) => {
    const form = GENERATED_FORMS[2];
    const [first, second, third] = Object.keys(form.questions);
    const rowAnswers = async () => {
      const body =
        await (await t.fetch(`/?formId=${form.id}&view=all`, { headers: { accept: "text/html" } }))
          .text();
      const cell = /<td class="col-answers">([\s\S]*?)<\/td>/.exec(body)![1];
      return [...cell.matchAll(/<span class="visually-hidden">([^<]*):<\/span>/g)].map((m) => m[1]);
    };
    const label = (name: string) => {
      const words = name.replace(/[_?]+/g, " ").trim();
      return words[0].toUpperCase() + words.slice(1);
    };
    assert.deepEqual(await rowAnswers(), [label(first), label(second)]);
    const saved = await t.fetch("/settings/table", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `formId=${form.id}&question=${encodeURIComponent(third)}&question=${
        encodeURIComponent(first)
      }`,
      redirect: "manual",
    });
    assert.equal(saved.status, 303);
    await saved.body?.cancel();
    assert.deepEqual(await rowAnswers(), [label(third), label(first)]);
    const tooMany = await t.fetch("/settings/table", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `formId=${form.id}&question=a&question=b&question=c&question=d`,
    });
    assert.equal(tooMany.status, 400);
    assert.match(await tooMany.text(), /at most 3/);
  }, 80);
});

Deno.test("[e2e] GET /reports - SVG charts with a title, a description and a table each, from the aggregates; by form, campaign or source", async () => {
  await withLeads(async (t, leads) => {
    for (const by of ["form", "campaign", "source"]) {
      const res = await t.fetch(`/reports?by=${by}`, { headers: { accept: "text/html" } });
      assert.equal(res.status, 200);
      const body = await res.text();
      assert.equal((body.match(/<svg class="chart"[^>]*role="img"/g) ?? []).length, 3);
      assert.equal((body.match(/<title id=/g) ?? []).length, 3);
      assert.equal((body.match(/<desc id=/g) ?? []).length, 3);
      assert.match(body, /data-chart-table="per-day"/);
      assert.match(body, /data-chart-table="contact"/);
      assert.match(body, /data-chart-table="funnel"/);
      assert.match(body, new RegExp(`href="/reports\\?by=${by}" aria-current="page"`));
    }
    const body = await (await t.fetch("/reports?by=source", { headers: { accept: "text/html" } }))
      .text();
    // The 30 days up to today in UTC (the test user's zone), today included.
    const today = new Date();
    const first = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) -
      29 * 86_400_000;
    const recent = leads.filter((l) => Date.parse(l.createdTime) >= first);
    const walkIns = recent.filter((l) => l.source === "walk-in").length;
    assert.match(body, new RegExp(`Walk-in \\(${walkIns}\\)`));
  });
});
