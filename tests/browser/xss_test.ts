import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

const MARKUP = "<img src=x onerror=alert(1)>";
const SCRIPT = "</script><script>alert(2)</script>";

browserTest(
  "[e2e] security - a lead named with markup shows as text live, after reload and on its page, and runs nothing",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard();
      const dialogs: string[] = [];
      page.on("dialog", async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });

      // Live: the island renders the pushed lead and its toast.
      const simLead = await sendLead({ fullName: MARKUP + SCRIPT });
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored);
      const row = page.locator(`[data-lead-id="${stored.id}"]`);
      await row.locator(".lead-name", { hasText: MARKUP }).waitFor({ timeout: 10_000 });
      await page.locator("[data-toast]", { hasText: MARKUP }).first().waitFor();
      assert.equal(await page.locator("main img").count(), 0, "no <img> element was created");

      // Server-rendered: the same lead after a reload, and on its own page.
      await page.reload();
      await page.locator(`[data-lead-id="${stored.id}"] .lead-name`, { hasText: MARKUP })
        .waitFor();
      assert.equal(await page.locator("main img").count(), 0);
      await page.goto(`${server.url}/leads/${stored.id}`);
      await page.locator("h1", { hasText: MARKUP }).waitFor();
      assert.equal(await page.locator("main img").count(), 0);

      // Nothing that could run exists (no <img> to fire onerror, no inline script), rather than
      // waiting a while for a handler that might fire: the name is plain text.
      assert.equal(await page.locator("h1").textContent(), MARKUP + SCRIPT);
      assert.equal(
        await page.evaluate(() =>
          [...document.scripts].filter((s) => !s.src && s.type !== "application/json").length
        ),
        0,
        "no inline script",
      );
      assert.deepEqual(dialogs, [], "no script from lead data ran");
      assert.deepEqual(pageErrors, []);
    });
  },
);
