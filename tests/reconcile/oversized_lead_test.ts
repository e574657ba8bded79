// One lead too large for one KV value never holds back its form: the sync stores every lead, the big
// one shortened, flagged and named in an alert.

import assert from "node:assert/strict";
import { createAlertStore } from "../../lib/alerts.ts";
import { nowSeconds, reconcileFixture } from "./_helpers.ts";

Deno.test("[reconcile] a form of 30 leads where one has 100 answers of 700 characters: all 30 stored, the big one shortened and flagged", async () => {
  const f = await reconcileFixture();
  try {
    const form = f.sim.pages[0].forms[0];
    const small = Array.from(
      { length: 29 },
      (_, i) => f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 600 - i }),
    );
    const answers: Record<string, string> = {};
    for (let i = 0; i < 100; i++) answers[`question_${i}`] = `answer ${i} `.padEnd(700, "z");
    const big = f.sim.createLead({
      formId: form.id,
      createdTime: nowSeconds() - 615,
      fields: { fullName: "Olga Oversize", answers },
    });

    const result = await f.makeReconciler().requestSync();
    assert.equal(result.error, undefined);
    assert.equal(result.inserted, 30 + 0, "every lead of the form, the big one too");
    const stored = await f.allLeads();
    assert.deepEqual(
      new Set(stored.map((lead) => lead.leadgenId)),
      new Set([...small, big].map((lead) => lead.id)),
    );

    const lead = stored.find((item) => item.leadgenId === big.id)!;
    assert.equal(lead.details, "fetched");
    assert.equal(lead.fullName, "Olga Oversize");
    assert.equal(lead.email, big.fields.email);
    assert.equal(lead.phone, big.fields.phone);
    // Every question is still there, each answer cut to the same length with a marker.
    const custom = lead.answers.filter((answer) => answer.name.startsWith("question_"));
    assert.equal(custom.length, 100);
    for (const [i, answer] of custom.entries()) {
      assert.ok(answer.values[0].startsWith(`answer ${i} `));
      assert.match(answer.values[0], / \[truncated: \d+ more characters\]$/);
    }
    assert.equal(lead.answersTruncated?.values, 100);
    assert.equal(lead.answersTruncated?.answersDropped, 0);
    assert.ok(lead.answersTruncated!.characters > 0);
    for (const other of stored.filter((item) => item.leadgenId !== big.id)) {
      assert.equal(other.answersTruncated, null);
    }
    const events = (await f.store.listTimeline(lead.id)).events.map((event) => event.event);
    assert.ok(events.includes("answers shortened"));

    // A visible problem naming the lead.
    const alerts = await createAlertStore(f.kv).listAlerts();
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].kind, "lead_truncated");
    assert.equal(alerts[0].leadId, lead.id);
    assert.match(alerts[0].message, new RegExp(`Olga Oversize, Meta lead ${big.id}`));
    assert.match(alerts[0].message, /100 answers shortened/);

    // The form's sweep completed: the next one lists from its new watermark and adds nothing.
    f.clock.advance(120_000);
    const again = await f.makeReconciler().requestSync();
    assert.equal(again.inserted, 0);
    assert.equal((await f.allLeads()).length, 30);
  } finally {
    await f.close();
  }
});
Deno.test("[reconcile] a listed lead with an id Leadline cannot store is named and skipped; the rest of the form is stored", async () => {
  const f = await reconcileFixture();
  try {
    const form = f.sim.pages[0].forms[0];
    const good = Array.from(
      { length: 5 },
      (_, i) => f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 600 - i }),
    );
    // The wrapped client hands the sweep one listed lead with a leading-zero id.
    const real = f.graph.listFormLeads;
    f.graph.listFormLeads = async (formId, pageId, options) => {
      const page = await real(formId, pageId, options);
      if (formId === form.id && page.leads.length > 0) {
        page.leads = [...page.leads, { ...page.leads[0], id: "0" + page.leads[0].id }];
      }
      return page;
    };
    const result = await f.makeReconciler().requestSync();
    assert.equal(result.inserted, 5);
    assert.match(result.error ?? "", /cannot store \(id "0\d+"\)/);
    assert.equal((await f.allLeads()).length, 5);
    assert.deepEqual(
      new Set((await f.allLeads()).map((lead) => lead.leadgenId)),
      new Set(good.map((lead) => lead.id)),
    );
  } finally {
    await f.close();
  }
});
