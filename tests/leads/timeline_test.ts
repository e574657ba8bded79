// A lead's timeline lives in records of its own: a lead takes any number of changes, pages read it back.

import assert from "node:assert/strict";
import { leadKey, leadTimelinePrefix } from "../../lib/leads/keys.ts";
import type { Lead, LeadStatus, LeadTimelineEvent } from "../../lib/leads/model.ts";
import { setLeadStatus } from "../../lib/leads/status.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { TimelineCursorError } from "../../lib/leads/timeline.ts";
import { createTestApp, type TestApp } from "../_helpers/app.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const JSON_HEADERS = { "content-type": "application/json" };
const CYCLE: LeadStatus[] = ["contacted", "qualified", "won", "lost", "new"];

async function withLead(fn: (app: TestApp, lead: Lead) => Promise<void>) {
  const app = await createTestApp();
  try {
    const lead = testMetaLead();
    await app.app.services.leads.insertLeads([lead]);
    await fn(app, lead);
  } finally {
    await app.close();
  }
}

/** Rewrites a stored lead the way the old code kept it: its timeline inside the record. */
async function storeAsOldLead(kv: Deno.Kv, lead: Lead, inline: LeadTimelineEvent[]) {
  const old = { ...lead, timeline: inline } as Record<string, unknown>;
  delete old.firstContactAt;
  delete old.answersTruncated;
  await kv.set(leadKey(lead.id), old);
  for await (const entry of kv.list({ prefix: leadTimelinePrefix(lead.id) })) {
    await kv.delete(entry.key);
  }
}

async function timelineRecords(kv: Deno.Kv, id: string): Promise<number> {
  let count = 0;
  for await (const _ of kv.list({ prefix: leadTimelinePrefix(id) })) count++;
  return count;
}

Deno.test("[e2e] a lead takes 2,000 status changes: PATCH still answers 200 and its page renders", async () => {
  await withLead(async (app, lead) => {
    // The old record-held timeline broke at about 490 changes; go well past it.
    for (let i = 0; i < 2_000; i++) {
      const status = CYCLE[i % CYCLE.length];
      const res = await app.fetch(`/api/leads/${lead.id}`, {
        method: "PATCH",
        headers: JSON_HEADERS,
        body: JSON.stringify({ status }),
      });
      assert.equal(res.status, 200, `change ${i + 1}: ${await res.clone().text()}`);
      const body = await res.json();
      assert.equal(body.status, status);
      assert.equal(body.timeline.at(-1).detail.endsWith(`→ ${status}`), true);
      assert.equal(body.timeline.at(-1).by, "Test Admin");
    }
    const got = await (await app.fetch(`/api/leads/${lead.id}`)).json();
    assert.equal(got.timeline.length, 100, "GET serves the newest page");
    assert.equal(typeof got.timelineBefore, "string", "older events are a page away");
    // The record stays small: none of the 2,001 events are in it.
    const record = (await app.kv.get<Lead>(leadKey(lead.id))).value!;
    assert.deepEqual(record.timeline, []);
    assert.ok(JSON.stringify(record).length < 2_000);
    assert.equal(await timelineRecords(app.kv, lead.id), 2_001);

    const page = await app.fetch(`/leads/${lead.id}`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    const html = await page.text();
    const items = html.slice(html.indexOf("data-timeline")).split("<li").length - 1;
    assert.equal(items, 100, "the page shows the newest 100 events");
    assert.match(html, /data-timeline-older/);
    assert.match(html, /status changed/);
  });
});

Deno.test("[db] timeline - pages walk back through every event exactly once, oldest first within a page", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const lead = testMetaLead();
    await store.insertLeads([lead]);
    for (let i = 0; i < 250; i++) {
      await store.updateLead(lead.id, (current) => ({
        ...current,
        timeline: [...current.timeline, { at: new Date().toISOString(), event: `note ${i}` }],
      }));
    }
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const page = await store.listTimeline(lead.id, { limit: 60, before });
      seen.unshift(...page.events.map((event) => event.event));
      before = page.before;
      pages++;
    } while (before !== null);
    assert.equal(pages, 5);
    assert.deepEqual(seen, ["received", ...Array.from({ length: 250 }, (_, i) => `note ${i}`)]);
    await assert.rejects(store.listTimeline(lead.id, { before: "nope" }), TimelineCursorError);
  } finally {
    kv.close();
  }
});

Deno.test("[db] timeline - a lead stored with its timeline inline is shown, then moved to records at its next write", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const lead = testMetaLead();
    await store.insertLeads([lead]);
    // As the old code stored leads: the timeline inside the record, no firstContactAt.
    const inline: LeadTimelineEvent[] = [
      { at: "2025-01-01T00:00:00.000Z", event: "received", detail: "webhook" },
      { at: "2025-01-01T00:01:00.000Z", event: "status changed", detail: "new → contacted" },
      { at: "2025-01-01T00:02:00.000Z", event: "status changed", detail: "contacted → new" },
    ];
    await storeAsOldLead(kv, lead, inline);

    const before = await store.getLeadWithTimeline(lead.id);
    assert.deepEqual(before?.timeline.events, inline);
    const paged = await store.listTimeline(lead.id, { limit: 2 });
    assert.deepEqual(paged.events, inline.slice(1));
    assert.deepEqual((await store.listTimeline(lead.id, { before: paged.before })).events, [
      inline[0],
    ]);

    await setLeadStatus(store, lead.id, "won", { by: "Rep" });
    const record = (await kv.get<Lead>(leadKey(lead.id))).value!;
    assert.deepEqual(record.timeline, [], "moved out of the record");
    assert.equal(record.firstContactAt, "2025-01-01T00:01:00.000Z", "kept from the old timeline");
    const after = await store.listTimeline(lead.id);
    assert.deepEqual(after.events.slice(0, 3), inline);
    assert.equal(after.events[3].detail, "new → won");
    assert.equal(after.events.length, 4);
  } finally {
    kv.close();
  }
});

Deno.test("[db] timeline - a lead with a long inline timeline keeps it there and still takes changes", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const lead = testMetaLead();
    await store.insertLeads([lead]);
    const inline = Array.from({ length: 450 }, (_, i) => ({
      at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
      event: "status changed",
      detail: i % 2 ? "contacted → new" : "new → contacted",
      by: "Old Rep",
    }));
    await storeAsOldLead(kv, lead, inline);
    for (let i = 0; i < 100; i++) {
      await setLeadStatus(store, lead.id, i % 2 ? "new" : "won");
    }
    const record = (await kv.get<Lead>(leadKey(lead.id))).value!;
    assert.equal(record.timeline.length, 450, "too many to move in one commit: left inline");
    const all: LeadTimelineEvent[] = [];
    let before: string | null = null;
    do {
      const page = await store.listTimeline(lead.id, { limit: 500, before });
      all.unshift(...page.events);
      before = page.before;
    } while (before !== null);
    assert.equal(all.length, 550);
    assert.deepEqual(all.slice(0, 450), inline);
    assert.equal(all.at(-1)?.detail, "won → new");
  } finally {
    kv.close();
  }
});

Deno.test("[e2e] GET /api/leads/:id/timeline pages the timeline; bad cursors and limits get 400", async () => {
  await withLead(async (app, lead) => {
    for (const status of CYCLE) {
      await setLeadStatus(app.app.services.leads, lead.id, status);
    }
    const first = await app.fetch(`/api/leads/${lead.id}/timeline?limit=4`);
    assert.equal(first.status, 200);
    const page = await first.json();
    assert.equal(page.events.length, 4);
    assert.equal(page.events.at(-1).detail, "lost → new");
    const rest = await (await app.fetch(
      `/api/leads/${lead.id}/timeline?limit=4&before=${encodeURIComponent(page.before)}`,
    )).json();
    assert.deepEqual(rest.events.map((event: LeadTimelineEvent) => event.event), [
      "received",
      "status changed",
    ]);
    assert.equal(rest.before, null);

    for (const query of ["limit=0", "limit=501", "limit=x", "before=not-a-cursor"]) {
      const res = await app.fetch(`/api/leads/${lead.id}/timeline?${query}`);
      assert.equal(res.status, 400, query);
      assert.match((await res.json()).error, /Cannot list the timeline/);
    }
    const missing = await app.fetch(`/api/leads/01HZZZZZZZZZZZZZZZZZZZZZZZ/timeline`);
    assert.equal(missing.status, 404);
  });
});
