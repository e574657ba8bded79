import assert from "node:assert/strict";
import { addLeadActivity, checkActivity, listLeadActivities } from "../../lib/leads/activities.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { changeLeadStatus } from "../../lib/leads/model.ts";
import { kvValueSize } from "../../lib/kv_value_size.ts";
import { leadKey } from "../../lib/leads/keys.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const NOW = new Date("2026-03-02T10:00:00Z");
const ANN = { id: "01J00000000000000000000ANN", name: "Ann", role: "agent" as const };

Deno.test("[activities] input is checked field by field", async (t) => {
  await t.step("a good call", () => {
    assert.deepEqual(
      checkActivity({
        kind: "call",
        outcome: "voicemail",
        text: " left a message ",
        followUpAt: "2026-03-03T09:00:00+01:00",
      }, NOW),
      {
        ok: true,
        input: {
          kind: "call",
          outcome: "voicemail",
          text: "left a message",
          followUpAt: "2026-03-03T08:00:00.000Z",
        },
      },
    );
  });
  await t.step("every bad field gets its reason", () => {
    const check = checkActivity({
      kind: "fax",
      outcome: "maybe",
      text: 5,
      followUpAt: "tomorrow",
      extra: 1,
    }, NOW);
    assert.equal(check.ok, false);
    assert.deepEqual(Object.keys(!check.ok ? check.fields : {}).sort(), [
      "extra",
      "followUpAt",
      "kind",
      "outcome",
      "text",
    ]);
    // Whole sentences that name the field, shown as they are (as manual entry's).
    assert.deepEqual(!check.ok && check.fields, {
      extra: "An activity has no field extra: leave it out.",
      followUpAt: "The follow-up time must be a time with its zone, e.g. 2026-12-02T15:00:00Z.",
      kind: "Choose what was done: call, note, email or sms.",
      outcome: "Only a call has an outcome: leave the call outcome empty.",
      text: "The notes must be text.",
    });
  });
  await t.step("an outcome only for calls, text for notes, a zone on the follow-up", () => {
    const note = checkActivity({ kind: "note", outcome: "talked" }, NOW);
    assert.deepEqual(!note.ok && note.fields, {
      outcome: "Only a call has an outcome: leave the call outcome empty.",
      text: "Write the note: a note needs text.",
    });
    const local = checkActivity({ kind: "call", followUpAt: "2026-03-03T09:00" }, NOW);
    assert.match(!local.ok ? local.fields.followUpAt : "", /^The follow-up time .* with its zone/);
    const far = checkActivity({ kind: "sms", followUpAt: "2031-01-01T00:00:00Z" }, NOW);
    assert.match(!far.ok ? far.fields.followUpAt : "", /^The follow-up time .*two years\.$/);
    const long = checkActivity({ kind: "email", text: "x".repeat(2_001) }, NOW);
    assert.match(!long.ok ? long.fields.text : "", /^The notes must be at most 2000 characters\.$/);
    assert.equal(checkActivity([], NOW).ok, false);
  });
});

Deno.test("[activities] a call updates the counters, the follow-up, the timeline; talked is first contact", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const lead = testMetaLead({ createdTime: Date.parse("2026-03-02T09:50:00Z") / 1000 });
  await store.insertLeads([lead]);
  let clock = NOW;
  const now = () => clock;
  const first = await addLeadActivity(
    store,
    lead.id,
    {
      kind: "call",
      outcome: "no_answer",
      text: null,
      followUpAt: "2026-03-02T12:00:00.000Z",
    },
    ANN,
    { now },
  );
  assert.equal(first.lead.callAttempts, 1);
  assert.equal(first.lead.nextFollowUpAt, "2026-03-02T12:00:00.000Z");
  assert.equal(first.lead.status, "new");
  assert.equal(first.lead.firstContactAt, null);

  clock = new Date("2026-03-02T10:05:00Z");
  const note = await addLeadActivity(
    store,
    lead.id,
    { kind: "note", outcome: null, text: "<b>prefers mornings</b>", followUpAt: null },
    ANN,
    { now },
  );
  assert.equal(
    note.lead.nextFollowUpAt,
    "2026-03-02T12:00:00.000Z",
    "a note keeps the open follow-up",
  );
  assert.equal(note.lead.callAttempts, 1);

  clock = new Date("2026-03-02T10:10:00Z");
  const talked = await addLeadActivity(
    store,
    lead.id,
    { kind: "call", outcome: "talked", text: "booked a test drive", followUpAt: null },
    ANN,
    { now },
  );
  assert.equal(talked.lead.callAttempts, 2);
  assert.equal(talked.lead.nextFollowUpAt, null, "the call closed the follow-up");
  assert.equal(talked.lead.status, "contacted");
  assert.equal(talked.lead.firstContactAt, "2026-03-02T10:10:00.000Z");
  assert.equal(talked.lead.lastActivityAt, "2026-03-02T10:10:00.000Z");

  const stored = await store.getLead(lead.id);
  assert.equal(stored?.callAttempts, 2);
  const timeline = (await store.listTimeline(lead.id)).events.map((
    e,
  ) => [e.event, e.detail ?? null, e.by ?? null, e.followUpAt ?? null]);
  // The follow-up is a time of its own, not words in UTC: the lead page shows it in local time.
  assert.deepEqual(timeline.slice(1), [
    ["call: no answer", null, "Ann", "2026-03-02T12:00:00.000Z"],
    ["note", "<b>prefers mornings</b>", "Ann", null],
    ["call: talked", "booked a test drive", "Ann", null],
    ["status changed", "new → contacted", "Ann", null],
  ]);
  const page = await listLeadActivities(kv, lead.id);
  assert.deepEqual(page.activities.map((a) => a.kind), ["call", "note", "call"], "newest first");
  assert.equal(page.activities[1].text, "<b>prefers mornings</b>");
  assert.equal(page.before, null);
  kv.close();
});

Deno.test("[activities] a lead with 1,000 activities still updates, and its record stays small", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const lead = newManualLead({ source: "phone", fullName: "Busy Bee", phone: "+15555550123" }, NOW);
  await store.insertLeads([lead]);
  const sizeBefore = kvValueSize((await kv.get(leadKey(lead.id))).value);
  for (let i = 0; i < 1_000; i++) {
    await addLeadActivity(store, lead.id, {
      kind: i % 2 ? "call" : "note",
      outcome: i % 2 ? "no_answer" : null,
      text: `attempt ${i} ${"·".repeat(200)}`,
      followUpAt: null,
    }, ANN);
  }
  const updated = await store.updateLead(
    lead.id,
    (current) => changeLeadStatus(current, "qualified", new Date()),
  );
  assert.equal(updated?.status, "qualified");
  assert.equal(updated?.callAttempts, 500);
  const sizeAfter = kvValueSize((await kv.get(leadKey(lead.id))).value);
  assert.ok(
    sizeAfter < sizeBefore + 200,
    `the record grew from ${sizeBefore} to ${sizeAfter} bytes`,
  );
  let count = 0;
  let before: string | null = null;
  do {
    const page = await listLeadActivities(kv, lead.id, { limit: 500, before });
    count += page.activities.length;
    before = page.before;
  } while (before);
  assert.equal(count, 1_000);
  kv.close();
});
