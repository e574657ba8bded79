import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] dashboard - at 375 px: one column, no sideways scroll, large tap targets",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard();
      await page.setViewportSize({ width: 375, height: 740 });
      const simLead = await sendLead({ fullName: "Maximiliana Bartholomew-Featherstonehaugh" });
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      const row = page.locator(`[data-lead-id="${stored!.id}"]`);
      await row.locator(".lead-name", { hasText: "Maximiliana" }).waitFor({ timeout: 10_000 });
      const overflow = await page.evaluate(() =>
        document.documentElement.scrollWidth - document.documentElement.clientWidth
      );
      assert.equal(overflow, 0, "nothing sticks out sideways");
      const tel = await row.locator('a[href^="tel:"]').boundingBox();
      assert.ok(tel && tel.height >= 44, `the call link is a large tap target (${tel?.height} px)`);
      const sync = await page.locator('[data-action="sync"]').boundingBox();
      assert.ok(sync && sync.height >= 44, "the Sync button is a large tap target");
      const rowBox = await row.boundingBox();
      assert.ok(rowBox && rowBox.width <= 375 && rowBox.width > 300, "rows take the one column");
      assert.deepEqual(pageErrors, []);
    });
  },
);
