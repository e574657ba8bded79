import assert from "node:assert/strict";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] lead page - Retry works without JavaScript: pending at once, then fetched by itself",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, sendLead }) => {
      sim.injectFault({ path: "lead", code: 190, status: 400, times: 1 });
      const simLead = await sendLead({ fullName: "Nora Noscript" });
      let failedId = "";
      for (let i = 0; i < 500 && !failedId; i++) {
        const lead = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
        if (lead?.details === "failed") failedId = lead.id;
        else await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(failedId, "the lead's details failed");

      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        await signIn(page, server);
        await page.goto(`${server.url}/leads/${failedId}`);
        await page.locator('[data-mark="failed"]', { hasText: "Meta error 190" }).waitFor();

        // A slow Graph answer keeps the lead pending long enough to see that state first.
        sim.injectFault({ path: "lead", latencyMs: 1_500, times: 1 });
        await page.getByRole("button", { name: "Retry fetching details" }).click();
        await page.waitForURL(`${server.url}/leads/${failedId}`);
        await page.locator('[data-mark="pending"]').waitFor({ timeout: 2_000 });
        assert.equal(await page.locator("[data-retry]").count(), 0);

        // The pending page refreshes itself until the details are in.
        await page.locator("h1", { hasText: "Nora Noscript" }).waitFor({ timeout: 10_000 });
        assert.equal(await page.locator('[data-mark="pending"]').count(), 0);
        assert.equal(await page.locator('[data-mark="failed"]').count(), 0);
        assert.ok(await page.locator("[data-answers]").count() === 1, "the answers are shown");
      } finally {
        await context.close();
      }
    });
  },
);
