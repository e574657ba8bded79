import assert from "node:assert/strict";
import { flagRepeatSubmissions } from "../../lib/leads/duplicates.ts";
import { applyLeadDetails } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";

Deno.test("[duplicates] a person who submits a Meta form twice: the later lead links the earlier", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
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
