import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

/** Marks the page so a later check can tell it was never reloaded. */
async function markLoaded(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
  });
}

function stillLoaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { notReloaded: boolean }).notReloaded);
}

browserTest(
  "[e2e] dashboard - a token-expired alert appears live, and clears live after a retry succeeds",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard();
      assert.equal(await page.locator("[data-alerts]").count(), 0, "no alert at first");
      await markLoaded(page);

      sim.injectFault({ path: "lead", code: 190, status: 400 });
      const simLead = await sendLead({ fullName: "Tara Token" });
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored);
      const row = page.locator(`[data-lead-id="${stored.id}"]`);
      await row.locator('[data-mark="failed"]').waitFor({ timeout: 10_000 });

      const alert = page.locator('[data-alerts][role="alert"]');
      await alert.waitFor({ timeout: 15_000 });
      assert.match(await alert.textContent() ?? "", /Token expired \(page \d+\)/);
      assert.equal(await page.locator("[data-alerts] .banner").count(), 1);

      // The token works again: Retry on the row fetches the lead, and the alert goes away.
      sim.clearFaults();
      await row.getByRole("button", { name: "Retry" }).click();
      await row.locator(".lead-name", { hasText: "Tara Token" }).waitFor({ timeout: 10_000 });
      await alert.waitFor({ state: "detached", timeout: 15_000 });
      assert.deepEqual(await server.app.services.alerts.listAlerts(), []);
      assert.ok(await stillLoaded(page), "the page was not reloaded");
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] dashboard - with the event stream blocked, polling brings the alert and its clearing",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard({
        connection: "polling",
        async prepare(page) {
          await page.route("**/api/events**", (route) => route.abort("connectionreset"));
        },
      });
      await markLoaded(page);
      sim.injectFault({ path: "lead", code: 190, status: 400 });
      const simLead = await sendLead();
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored);
      const alert = page.locator("[data-alerts]");
      await alert.waitFor({ timeout: 15_000 });
      assert.match(await alert.textContent() ?? "", /Token expired/);

      sim.clearFaults();
      const retry = await server.fetch(`/api/leads/${stored.id}/retry`, { method: "POST" });
      assert.equal(retry.status, 202);
      await retry.body?.cancel();
      await alert.waitFor({ state: "detached", timeout: 15_000 });
      assert.equal(await page.locator('[data-connection="polling"]').count(), 1, "still polling");
      assert.ok(await stillLoaded(page), "the page was not reloaded");
      assert.deepEqual(pageErrors, []);
    });
  },
);
