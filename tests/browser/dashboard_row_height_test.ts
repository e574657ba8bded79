import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";

for (const viewport of [{ width: 375, height: 740 }, { width: 1280, height: 800 }]) {
  browserTest(
    `[e2e] dashboard - Mark contacted keeps the row's height; the rows below do not move (${viewport.width} px)`,
    async (browser) => {
      await withDashboard(browser, async ({ sim, server, openDashboard, pageErrors }) => {
        const names = ["Maximiliana Bartholomew-Featherstonehaugh", "Bo Li", "Ann Other"];
        const leads = names.map((fullName, i) =>
          sim.createLead({
            organic: false,
            fields: { fullName },
            createdTime: Math.floor(Date.now() / 1000) - i * 60,
          })
        );
        const res = await sim.deliver(leads, server.url + "/webhook");
        await res.body?.cancel();
        for (const lead of leads) {
          await waitForLeadDetails(server.app.services.leads, lead.id, "fetched");
        }
        const page = await openDashboard();
        await page.setViewportSize(viewport);
        for (const fullName of names) {
          const row = page.locator("[data-lead-id]", { hasText: fullName });
          await row.waitFor({ timeout: 10_000 });
          const below = page.locator("[data-lead-id]").last();
          const before = (await row.boundingBox())!;
          // In page coordinates: clicking may scroll the window.
          const pageY = () => below.evaluate((el) => el.getBoundingClientRect().top + scrollY);
          const belowBefore = await pageY();

          await row.getByRole("button", { name: "Mark contacted" }).click();
          await page.locator(`[data-lead-id][data-status="contacted"]`, { hasText: fullName })
            .waitFor({ timeout: 15_000 });
          const after = (await row.boundingBox())!;
          assert.equal(after.height, before.height, `${fullName}: the row keeps its height`);
          assert.equal(await pageY(), belowBefore, "the list below did not move");
          // The place of the button now leads to the next step.
          const next = row.locator('[data-action="update-status"]');
          assert.equal(await next.isVisible(), true);
          assert.equal(await row.getByRole("button", { name: "Mark contacted" }).count(), 0);
        }
        await page.locator('[data-action="update-status"]').first().click();
        await page.waitForURL(/\/leads\/[0-9A-Z]+#status$/);
        assert.equal(await page.locator("#status[data-status-form]").count(), 1);
        assert.deepEqual(pageErrors, []);
      });
    },
  );
}
