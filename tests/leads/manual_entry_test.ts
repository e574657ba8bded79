import assert from "node:assert/strict";
import { addManualLead, checkManualLead } from "../../lib/leads/manual_entry.ts";
import { applyLeadDetails, type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { contactIndexWrites } from "../../lib/leads/contact_index.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
let nextLeadgen = 900000000000000;

/** A webhook lead as ingestion makes it: a stub first, then its details in an update. */
async function metaLead(
  store: LeadStore,
  contact: { fullName: string; phone?: string; email?: string },
  createdAt: Date,
): Promise<Lead> {
  const stub = newMetaLead({
    leadgenId: String(nextLeadgen++),
    pageId: "1010",
    formId: "2020",
    adId: null,
    adgroupId: null,
    createdTime: Math.floor(createdAt.getTime() / 1000),
  }, createdAt);
  await store.insertLeads([stub]);
  return (await store.updateLead(
    stub.id,
    (lead) =>
      applyLeadDetails(lead, {
        fullName: contact.fullName,
        phone: contact.phone ?? null,
        email: contact.email ?? null,
      }, new Date()),
  ))!;
}

/** A store as the app wires it: the contact index (by `defaultCountry`) in each lead's commit. */
async function withStore(
  fn: (kv: Deno.Kv, store: LeadStore) => Promise<void>,
  defaultCountry: string | null = "US",
) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv, createLeadStore(kv, { deriveWrites: contactIndexWrites({ defaultCountry }) }));
  } finally {
    kv.close();
  }
}

Deno.test("[manual leads] every field error is a sentence that names its field", () => {
  const bodies: unknown[] = [
    [],
    {},
    { fullName: 42, phone: 7, email: false, source: 1, notes: [] },
    { fullName: "x".repeat(201), phone: "call me", email: "dana@", notes: "n".repeat(5001) },
    { fullName: "Dana", phone: "+0 123 456 789", email: "a b@example.com", source: "sms" },
    { fullName: "Dana", phone: "9".repeat(400), source: "sms" },
    { fullName: "Dana", phone: "+1 234", source: "sms" },
    { fullName: "Dana", phone: "12345", source: "sms" },
  ];
  const messages = new Set<string>();
  for (const defaultCountry of ["US", "GB", null]) {
    for (const body of bodies) {
      const checked = checkManualLead(body, { defaultCountry });
      assert.equal(checked.ok, false);
      if (!checked.ok) {
        for (const message of Object.values(checked.fields)) messages.add(message);
      }
    }
  }
  assert.ok(messages.size >= 12, `${messages.size} distinct messages checked`);
  for (const message of messages) {
    // "Phone give a phone number…" came from gluing a label to a fragment: no fragments now.
    assert.match(message, /^[A-Z][^]*[.!?]$/, `a sentence: ${message}`);
    assert.match(
      message,
      /^(The (name|phone number|email address|notes)|Give|Choose|Send) /,
      `names its field or says what to do: ${message}`,
    );
  }
});

Deno.test("[manual leads] bad input gets a reason per field", () => {
  const check = (body: unknown) => checkManualLead(body, { defaultCountry: "US" });
  assert.deepEqual(check({ source: "fax" }), {
    ok: false,
    fields: {
      fullName: "Give the lead's name.",
      phone: "Give a phone number or an email address.",
      email: "Give an email address or a phone number.",
      source: "Choose where the lead came from: phone, sms, walk-in or other.",
    },
  });
  const bad = check({ fullName: 42, phone: "555-12", email: "dana@", source: "sms", notes: [] });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.deepEqual(Object.keys(bad.fields).sort(), ["email", "fullName", "notes", "phone"]);
    assert.equal(bad.fields.phone, "The phone number must have 10 digits (area code and number).");
    assert.equal(bad.fields.email, "The email address does not look like name@example.com.");
    assert.equal(bad.fields.fullName, "The name must be text.");
    assert.equal(bad.fields.notes, "The notes must be text.");
  }
  assert.deepEqual(check([]), { ok: false, fields: { body: "Send the lead as a JSON object." } });
  assert.deepEqual(check({ fullName: "Dana", email: "DANA@example.com ", source: "walk-in" }), {
    ok: true,
    input: {
      source: "walk-in",
      fullName: "Dana",
      phone: null,
      email: "dana@example.com",
      notes: null,
    },
  });
});

Deno.test("[manual leads] a valid lead is stored normalised, with its source and a change record", async () => {
  await withStore(async (kv, store) => {
    const head = await store.getChangeHead();
    const result = await addManualLead({ kv, store, defaultCountry: "US" }, {
      fullName: "  Dana Smith ",
      phone: "(415) 555-2671",
      source: "phone",
      notes: "Called about the spring offer",
    });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    const lead = result.lead;
    assert.equal(lead.fullName, "Dana Smith");
    assert.equal(lead.phone, "+14155552671");
    assert.equal(lead.email, null);
    assert.equal(lead.source, "phone");
    assert.equal(lead.leadgenId, null);
    assert.equal(lead.notes, "Called about the spring offer");
    assert.equal(lead.possibleDuplicateOf, null);
    assert.deepEqual(await store.getLead(lead.id), { ...lead, timeline: [] });
    assert.deepEqual((await store.listTimeline(lead.id)).events, lead.timeline);
    const changes = await store.listChangesSince(head);
    assert.deepEqual(changes.changes.map((c) => [c.kind, c.lead.id]), [["created", lead.id]]);
  });
});

Deno.test("[manual leads] a phone or email matching a Meta lead of the last 30 days flags a possible duplicate", async () => {
  await withStore(async (kv, store) => {
    const deps = { kv, store, defaultCountry: "US" };
    const recent = await metaLead(
      store,
      { fullName: "Ann Meta", phone: "+1 415-555-0101", email: "ann@example.com" },
      new Date(Date.now() - 3 * DAY_MS),
    );
    const byPhone = await addManualLead(deps, {
      fullName: "Ann",
      phone: "415 555 0101",
      source: "phone",
    });
    assert.ok(byPhone.ok);
    assert.equal(byPhone.lead.possibleDuplicateOf, recent.id);
    assert.match(byPhone.lead.timeline.at(-1)!.detail!, /same phone as Meta lead Ann Meta/);
    assert.deepEqual((await store.getLead(byPhone.lead.id))?.possibleDuplicateOf, recent.id);

    const byEmail = await addManualLead(deps, {
      fullName: "Ann",
      email: "ANN@example.com",
      source: "sms",
    });
    assert.ok(byEmail.ok);
    assert.equal(byEmail.lead.possibleDuplicateOf, recent.id);

    // Details that arrive later (a webhook lead's fetch) are indexed too.
    const late = await metaLead(store, { fullName: "Bo", email: "bo@example.com" }, new Date());
    const byLate = await addManualLead(deps, {
      fullName: "Bo",
      email: "bo@example.com",
      source: "other",
    });
    assert.ok(byLate.ok);
    assert.equal(byLate.lead.possibleDuplicateOf, late.id);
  });
});

Deno.test("[manual leads] old Meta leads, other people and other hand-entered leads are not flagged", async () => {
  await withStore(async (kv, store) => {
    const deps = { kv, store, defaultCountry: "US" };
    await metaLead(
      store,
      { fullName: "Old", phone: "+14155550199" },
      new Date(Date.now() - 31 * DAY_MS),
    );
    const old = await addManualLead(deps, {
      fullName: "Old",
      phone: "4155550199",
      source: "phone",
    });
    assert.ok(old.ok);
    assert.equal(old.lead.possibleDuplicateOf, null);

    const other = await addManualLead(deps, {
      fullName: "C",
      phone: "4155550100",
      source: "phone",
    });
    assert.ok(other.ok);
    assert.equal(other.lead.possibleDuplicateOf, null);
    const again = await addManualLead(deps, { fullName: "C", phone: "4155550100", source: "sms" });
    assert.ok(again.ok);
    assert.equal(again.lead.possibleDuplicateOf, null, "only Meta leads count");
  });
});

Deno.test("[manual leads] the newest of several matching Meta leads is named", async () => {
  await withStore(async (kv, store) => {
    const deps = { kv, store, defaultCountry: null };
    await metaLead(
      store,
      { fullName: "A", email: "x@example.com" },
      new Date(Date.now() - 5 * DAY_MS),
    );
    const newer = await metaLead(
      store,
      { fullName: "B", email: "x@example.com" },
      new Date(Date.now() - DAY_MS),
    );
    const result = await addManualLead(deps, {
      fullName: "X",
      email: "x@example.com",
      source: "walk-in",
    });
    assert.ok(result.ok);
    assert.equal(result.lead.possibleDuplicateOf, newer.id);
  }, null);
});
