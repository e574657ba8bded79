import assert from "node:assert/strict";
import type { TestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";
import { withDashboard } from "./_dashboard.ts";

/** Waits until the lead of `leadgenId` has its details, and returns its id. */
async function fetchedLeadId(server: TestServer, leadgenId: string): Promise<string> {
  return (await waitForLeadDetails(server.app.services.leads, leadgenId)).id;
}

browserTest(
  "[e2e] dashboard - one rep marks a lead contacted, every other open dashboard shows it live",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
      const first = await openDashboard();
      const second = await openDashboard();
      const simLead = await sendLead({ fullName: "Carl Caller" });
      const id = await fetchedLeadId(server, simLead.id);

      const rowIn = (page: typeof first) => page.locator(`[data-lead-id="${id}"]`);
      for (const page of [first, second]) {
        const row = rowIn(page);
        await row.locator(".lead-name", { hasText: "Carl Caller" }).waitFor({ timeout: 15_000 });
        // The live highlight and the status no longer both say "New".
        await row.locator(".tag-fresh", { hasText: "Just in" }).waitFor();
        assert.equal(await row.locator(".tag", { hasText: /^New$/ }).count(), 1);
        assert.equal(await row.getAttribute("data-status"), "new");
        await page.evaluate(() => {
          (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
        });
      }

      await rowIn(first).getByRole("button", { name: "Mark contacted" }).click();

      for (const page of [first, second]) {
        const row = rowIn(page);
        await page.locator(`[data-lead-id="${id}"][data-status="contacted"]`)
          .waitFor({ timeout: 15_000 });
        assert.equal(await row.locator(".tag-status").textContent(), "Contacted");
        assert.equal(await row.getByRole("button", { name: "Mark contacted" }).count(), 0);
        assert.ok(
          await page.evaluate(() =>
            (globalThis as unknown as { notReloaded: boolean }).notReloaded
          ),
          "the change arrived without a reload",
        );
      }
      const stored = await server.app.services.leads.getLead(id);
      assert.equal(stored?.status, "contacted");
      const timeline = await server.app.services.leads.listTimeline(id);
      assert.equal(timeline.events.at(-1)?.by, "Test Admin");
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] lead page and dashboard - recording a call works without JavaScript",
  async (browser) => {
    await withDashboard(browser, async ({ server, sendLead }) => {
      const first = await fetchedLeadId(server, (await sendLead({ fullName: "Nia Nojs" })).id);
      const second = await fetchedLeadId(server, (await sendLead({ fullName: "Ola Nojs" })).id);
      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const page = await context.newPage();
        await signIn(page, server);

        // The lead page: a status button, back on the page with the new status and speed to lead.
        await page.goto(`${server.url}/leads/${first}`);
        await page.locator("[data-speed-to-lead]", { hasText: "Not contacted yet" }).waitFor();
        await page.getByRole("button", { name: "Contacted", exact: true }).click();
        await page.waitForURL(`${server.url}/leads/${first}`);
        await page.locator('button[value="contacted"][aria-pressed="true"]').waitFor();
        assert.match(
          await page.locator("[data-speed-to-lead]").textContent() ?? "",
          /^Contacted \d+ s after the form was submitted$/,
        );
        assert.match(
          await page.locator("[data-timeline] li").last().textContent() ?? "",
          /status changed: new → contacted · by Test Admin/,
        );

        // The dashboard row's form (as before the island hydrates): back on the dashboard.
        await page.goto(`${server.url}/`);
        const row = page.locator(`[data-lead-id="${second}"]`);
        await row.getByRole("button", { name: "Mark contacted" }).click();
        await page.waitForURL(`${server.url}/`);
        await page.locator(`[data-lead-id="${second}"][data-status="contacted"]`).waitFor();
        assert.equal((await server.app.services.leads.getLead(second))?.status, "contacted");
      } finally {
        await context.close();
      }
    });
  },
);
