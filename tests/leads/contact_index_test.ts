import assert from "node:assert/strict";
import {
  contactIndexWrites,
  findPossibleDuplicate,
  updateContactIndex,
} from "../../lib/leads/contact_index.ts";
import { applyLeadDetails } from "../../lib/leads/model.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";

/** Counts the store's change-log reads: a catch-up reads the log, an index kept in commits not. */
function countingChangeReads(store: LeadStore) {
  const counter = { reads: 0 };
  const read = store.listChangesSince.bind(store);
  store.listChangesSince = (seq, limit) => {
    counter.reads++;
    return read(seq, limit);
  };
  return counter;
}

async function keysUnder(kv: Deno.Kv, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of kv.list({ prefix: [prefix] })) out.push(String(entry.key[1]));
  return out.sort();
}

Deno.test("[contact index] a lead's commit writes its keys: a match is found without reading the change log", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv, {
      deriveWrites: contactIndexWrites({ defaultCountry: "US" }),
    });
    const lead = testMetaLead({ createdTime: Math.floor(Date.now() / 1000) - 60 });
    await store.insertLeads([lead]);
    await store.updateLead(lead.id, (current) =>
      applyLeadDetails(current, {
        fullName: "Ann Index",
        phone: "(555) 555-0142",
        email: "Ann@Example.com",
      }, new Date()));
    assert.deepEqual(await keysUnder(kv, "leads_by_phone"), ["+15555550142"]);
    assert.deepEqual(await keysUnder(kv, "leads_by_email"), ["ann@example.com"]);

    const counter = countingChangeReads(store);
    const match = await findPossibleDuplicate(kv, store, {
      phone: "+1 555 555 0142",
      email: null,
    }, { defaultCountry: "US" });
    assert.equal(match?.id, lead.id);
    // Before: the first lookup caught the index up with every change since its last one, inside
    // the request (4.6 s with 100k leads stored).
    assert.equal(counter.reads, 0, "the lookup read no lead changes");

    // A changed contact moves the keys in the same commit.
    await store.updateLead(lead.id, (current) => ({ ...current, phone: "+15555550199" }));
    assert.deepEqual(await keysUnder(kv, "leads_by_phone"), ["+15555550199"]);
    assert.deepEqual(await keysUnder(kv, "leads_by_email"), ["ann@example.com"]);
    assert.equal(counter.reads, 0);
  } finally {
    kv.close();
  }
});

Deno.test("[contact index] leads stored without it (an older version) are indexed by the backfill, not by a lookup", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const old = createLeadStore(kv);
    const lead = testMetaLead({ createdTime: Math.floor(Date.now() / 1000) - 60 });
    await old.insertLeads([lead]);
    await old.updateLead(
      lead.id,
      (current) =>
        applyLeadDetails(
          current,
          { fullName: "Old Lead", phone: null, email: "old@example.com" },
          new Date(),
        ),
    );
    const store = createLeadStore(kv, {
      deriveWrites: contactIndexWrites({ defaultCountry: null }),
    });
    const contact = { phone: null, email: "old@example.com" };
    assert.equal(await findPossibleDuplicate(kv, store, contact, { defaultCountry: null }), null);
    await updateContactIndex(kv, store, { defaultCountry: null });
    assert.equal(
      (await findPossibleDuplicate(kv, store, contact, { defaultCountry: null }))?.id,
      lead.id,
    );
  } finally {
    kv.close();
  }
});
