import assert from "node:assert/strict";
import { flagRepeatSubmissions } from "../../lib/leads/duplicates.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { applyLeadDetails, newMetaLead } from "../../lib/leads/model.ts";
import { contactIndexWrites } from "../../lib/leads/contact_index.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";

Deno.test("[duplicates] a person who submits a Meta form twice: the later lead links the earlier", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv, { deriveWrites: contactIndexWrites({ defaultCountry: null }) });
  const now = Date.now();
  const first = testMetaLead({ createdTime: Math.floor(now / 1000) - 3_600 });
  const second = testMetaLead({ createdTime: Math.floor(now / 1000) - 60 });
  const stranger = testMetaLead({ createdTime: Math.floor(now / 1000) - 30 });
  await store.insertLeads([first, second, stranger]);
  const fill = (id: string, phone: string, email: string) =>
    store.updateLead(
      id,
      (lead) => applyLeadDetails(lead, { fullName: "Dee Dupe", phone, email }, new Date()),
    );
  await fill(first.id, "+1 (555) 555-0142", "dee@example.com");
  await fill(second.id, "+15555550142", "other@example.com");
  await fill(stranger.id, "+15555550999", "stranger@example.com");
  const deps = { kv, store, defaultCountry: null };
  assert.equal(await flagRepeatSubmissions(deps), 1);
  assert.equal((await store.getLead(second.id))?.possibleDuplicateOf, first.id);
  assert.equal(
    (await store.getLead(first.id))?.possibleDuplicateOf,
    null,
    "the earlier one is the original",
  );
  assert.equal((await store.getLead(stranger.id))?.possibleDuplicateOf, null);
  const line = (await store.listTimeline(second.id)).events.at(-1);
  assert.equal(line?.event, "possible duplicate");
  assert.equal(line?.detail, "same phone as the earlier Meta lead Dee Dupe");
  assert.equal(await flagRepeatSubmissions(deps), 0, "checked once");
  kv.close();
});

Deno.test("[duplicates] simulated demo leads are different people; only a deliberate repeat is flagged", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv, { deriveWrites: contactIndexWrites({ defaultCountry: "US" }) });
  const sim = await startGraphSimulator({ appSecret: "dup-secret", accessToken: "dup-token" });
  try {
    const now = Math.floor(Date.now() / 1000);
    // 400 demo leads: with 900 phone numbers drawn at random, dozens used to share one.
    const simLeads = Array.from(
      { length: 400 },
      (_, i) => sim.createLead({ anyForm: true, createdTime: now - 4_000 + i }),
    );
    assert.equal(new Set(simLeads.map((lead) => lead.fields.phone)).size, 400, "unique phones");
    assert.equal(new Set(simLeads.map((lead) => lead.fields.email)).size, 400, "unique emails");
    const stored = async (simLead: SimLead) => {
      const lead = newMetaLead({
        leadgenId: simLead.id,
        pageId: simLead.pageId,
        formId: simLead.formId,
        adId: simLead.adId,
        adgroupId: null,
        createdTime: simLead.createdTime,
      }, new Date());
      await store.insertLeads([lead]);
      const { fullName, email, phone } = simLead.fields;
      await store.updateLead(
        lead.id,
        (current) => applyLeadDetails(current, { fullName, email, phone }, new Date()),
      );
      return lead.id;
    };
    for (const simLead of simLeads) await stored(simLead);
    const deps = { kv, store, defaultCountry: "US" };
    assert.equal(await flagRepeatSubmissions(deps), 0, "no demo lead looks like another");

    // On purpose: the same person submits again.
    const again = sim.createLead({ repeatOf: simLeads[10].id, createdTime: now });
    assert.equal(again.fields.phone, simLeads[10].fields.phone);
    const id = await stored(again);
    assert.equal(await flagRepeatSubmissions(deps), 1);
    const flagged = await store.getLead(id);
    assert.equal(
      flagged?.possibleDuplicateOf,
      (await store.getLeadByLeadgenId(simLeads[10].id))?.id,
    );
    assert.throws(
      () => sim.createLead({ repeatOf: "123" }),
      /Cannot create lead: lead 123 does not exist/,
    );
  } finally {
    await sim.close();
    kv.close();
  }
});
