import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { rowIds, withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] dashboard - a webhook lead appears live with a toast, and its details fill in",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard();
      assert.deepEqual(await rowIds(page), []);
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      // The Graph answer is held until the stub has been seen, so the lead stays pending for as
      // long as that takes, however loaded the machine is.
      const details = Promise.withResolvers<void>();
      sim.injectFault({ path: "lead", until: details.promise, times: 1 });
      const simLead = await sendLead({ fullName: "Dana Smith" });
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored, "the webhook stored the lead");

      const row = page.locator(`[data-lead-id="${stored.id}"]`);
      await row.waitFor({ timeout: 10_000 });
      await row.locator('[data-mark="pending"]').waitFor({ timeout: 10_000 });
      assert.match(await row.getAttribute("class") ?? "", /lead-row-new/, "new rows stand out");
      const toast = page.locator('[role="status"] [data-toast]');
      await toast.first().waitFor();
      assert.match(await toast.first().textContent() ?? "", /^New lead: /);

      // The fetch completes: name, contact links and form fill in, in place, and in the toast.
      details.resolve();
      await row.locator(".lead-name", { hasText: "Dana Smith" }).waitFor({ timeout: 20_000 });
      assert.equal(await row.locator('[data-mark="pending"]').count(), 0);
      assert.equal(
        await row.locator('a[href^="tel:"]').count(),
        1,
        "the phone is a tel: link",
      );
      assert.equal(await row.locator('a[href^="mailto:"]').count(), 1);
      await page.locator("[data-toast]", { hasText: "New lead: Dana Smith, " }).waitFor();
      assert.equal(await toast.count(), 1, "one toast per new lead");
      assert.deepEqual(await rowIds(page), [stored.id], "no duplicate row");
      assert.match(await page.title(), /^\(1\) Dashboard/, "the tab title counts unseen leads");
      assert.ok(
        await page.evaluate(() => (globalThis as unknown as { notReloaded: boolean }).notReloaded),
        "the page was not reloaded",
      );

      // The mark lasts about 6 s and ends with the clocks' tick: the row no longer stands out.
      await page.waitForFunction(
        (id) => !document.querySelector(`[data-lead-id="${id}"]`)?.matches(".lead-row-new"),
        stored.id,
        { timeout: 10_000 },
      );
      assert.equal(await row.locator(".tag-fresh").count(), 0, "no Just in tag once it is over");

      // Clicking the toast opens the lead.
      await toast.first().locator("a").click();
      await page.waitForURL(`**/leads/${stored.id}`);
      await page.locator("h1", { hasText: "Dana Smith" }).waitFor();
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest("[e2e] dashboard - two open dashboards both get the lead", async (browser) => {
  await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
    const first = await openDashboard();
    const second = await openDashboard();
    const sent = [];
    for (let i = 0; i < 3; i++) sent.push(await sendLead());
    const ids = [];
    for (const simLead of sent) {
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored);
      ids.push(stored.id);
    }
    for (const page of [first, second]) {
      for (const id of ids) {
        await page.locator(`[data-lead-id="${id}"]`).waitFor({ timeout: 15_000 });
      }
      const shown = await rowIds(page);
      assert.equal(shown.length, 3, "each lead once");
      assert.deepEqual([...shown].sort(), [...ids].sort());
    }
    assert.deepEqual(pageErrors, []);
  });
});
