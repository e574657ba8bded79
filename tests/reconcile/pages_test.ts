import assert from "node:assert/strict";
import { newManualLead, newMetaLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import {
  addSettingsPage,
  followLeadPages,
  knownPagesLister,
  listKnownPageIds,
  listSettingsPages,
  PageIdError,
  removeSettingsPage,
  seenPageWrites,
} from "../../lib/reconcile/pages.ts";

function stub(leadgenId: string, pageId: string | null) {
  return newMetaLead({
    leadgenId,
    pageId,
    formId: "55",
    adId: null,
    adgroupId: null,
    createdTime: null,
  }, new Date());
}

Deno.test("[reconcile pages] configured pages, pages leads arrived from and settings pages, once each", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // Pages are recorded in the leads' own commits: nothing catches up when they are listed.
    const store = createLeadStore(kv, { deriveWrites: seenPageWrites() });
    await store.insertLeads([
      stub("1", "111"),
      stub("2", "222"),
      stub("3", "111"),
      stub("4", null),
    ]);
    await store.insertLeads([
      newManualLead({ source: "phone", fullName: "Walk In", phone: "123" }, new Date()),
    ]);
    assert.deepEqual(await listKnownPageIds(kv, ["999"]), ["111", "222", "999"]);

    await store.insertLeads([stub("5", "333")]);
    await addSettingsPage(kv, "444", new Date());
    await addSettingsPage(kv, "444", new Date());
    assert.deepEqual(await listKnownPageIds(kv, ["111"]), ["111", "222", "333", "444"]);
    assert.equal((await listSettingsPages(kv)).length, 1);

    assert.equal(await removeSettingsPage(kv, "444"), true);
    assert.equal(await removeSettingsPage(kv, "444"), false);
    assert.deepEqual(await listKnownPageIds(kv, []), ["111", "222", "333"]);
    await assert.rejects(() => addSettingsPage(kv, "12ab", new Date()), PageIdError);

    await store.insertLeads([stub("6", "555")]);
    assert.deepEqual(await knownPagesLister(kv, () => ["1"])(), [
      "1",
      "111",
      "222",
      "333",
      "555",
    ]);
  } finally {
    kv.close();
  }
});

Deno.test("[reconcile pages] a lead moved to another page records it in its commit; the backfill covers leads stored without", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // An older version's store: no pages recorded in the commits.
    const old = createLeadStore(kv);
    await old.insertLeads([stub("1", "111"), stub("2", "222")]);
    assert.deepEqual(await listKnownPageIds(kv, []), []);
    await followLeadPages(kv, old, new Date());
    assert.deepEqual(await listKnownPageIds(kv, []), ["111", "222"]);

    const store = createLeadStore(kv, { deriveWrites: seenPageWrites() });
    const [lead] = (await store.insertLeads([stub("3", null)])).inserted;
    assert.deepEqual(await listKnownPageIds(kv, []), ["111", "222"]);
    await store.updateLead(lead.id, (current) => ({ ...current, pageId: "333" }));
    assert.deepEqual(await listKnownPageIds(kv, []), ["111", "222", "333"]);
  } finally {
    kv.close();
  }
});
