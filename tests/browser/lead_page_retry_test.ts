import assert from "node:assert/strict";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";

browserTest(
  "[e2e] lead page - Retry works without JavaScript: pending at once, then fetched by itself",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, sendLead }) => {
      sim.injectFault({ path: "lead", code: 190, status: 400, times: 1 });
      const simLead = await sendLead({ fullName: "Nora Noscript" });
      const failedId =
        (await waitForLeadDetails(server.app.services.leads, simLead.id, "failed")).id;

      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        await signIn(page, server);
        await page.goto(`${server.url}/leads/${failedId}`);
        await page.locator('[data-mark="failed"]', { hasText: "Meta error 190" }).waitFor();

        // The Graph answer is held until the pending state has been seen, however long that
        // takes on a loaded machine.
        const details = Promise.withResolvers<void>();
        sim.injectFault({ path: "lead", until: details.promise, times: 1 });
        await page.getByRole("button", { name: "Retry fetching details" }).click();
        await page.waitForURL(`${server.url}/leads/${failedId}`);
        await page.locator('[data-mark="pending"]').waitFor({ timeout: 10_000 });
        assert.equal(await page.locator("[data-retry]").count(), 0);
        details.resolve();

        // The pending page refreshes itself until the details are in.
        await page.locator("h1", { hasText: "Nora Noscript" }).waitFor({ timeout: 20_000 });
        assert.equal(await page.locator('[data-mark="pending"]').count(), 0);
        assert.equal(await page.locator('[data-mark="failed"]').count(), 0);
        assert.ok(await page.locator("[data-answers]").count() === 1, "the answers are shown");
      } finally {
        await context.close();
      }
    });
  },
);
