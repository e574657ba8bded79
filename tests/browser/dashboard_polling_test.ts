import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { rowIds, withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] dashboard - with /api/events blocked it polls, a new lead shows by polling, then Live again",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
      let blocked = true;
      let streamAttempts = 0;
      const page = await openDashboard({
        connection: "polling",
        async prepare(page) {
          await page.route("**/api/events**", async (route) => {
            streamAttempts++;
            if (blocked) await route.abort("connectionreset");
            else await route.fallback();
          });
        },
      });
      assert.equal(await page.locator("[data-connection]").textContent(), "Polling");

      const simLead = await sendLead({ fullName: "Polly Poller" });
      const stored = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
      assert.ok(stored);
      // Polling runs every 3 s; the stream stays blocked, so only a poll can bring the lead. The
      // deadline is generous (a loaded machine is slow), not a measure of speed.
      await page.locator(`[data-lead-id="${stored.id}"]`).waitFor({ timeout: 15_000 });
      await page.locator("[data-toast]", { hasText: "New lead" }).first().waitFor();

      // The island keeps trying to reopen the stream meanwhile; once it gets through, Live.
      blocked = false;
      await page.locator('[data-connection="live"]').waitFor({ timeout: 15_000 });
      assert.ok(streamAttempts >= 2, "the stream was retried while blocked");

      // And the stream carries the next lead; polling has stopped.
      const polls: string[] = [];
      page.on("request", (req) => {
        if (req.url().includes("/api/leads?since=")) polls.push(req.url());
      });
      const next = await sendLead();
      const nextStored = await server.app.services.leads.getLeadByLeadgenId(next.id);
      await page.locator(`[data-lead-id="${nextStored!.id}"]`).waitFor({ timeout: 15_000 });
      assert.deepEqual((await rowIds(page)).sort(), [stored.id, nextStored!.id].sort());
      assert.deepEqual(polls, [], "no polling while the stream is live");
      assert.deepEqual(pageErrors, []);
    });
  },
);
