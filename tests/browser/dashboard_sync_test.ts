import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import type { Response } from "playwright-core";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

/** The Sync button's request (`GET` of the same path says how the last sync went). */
function isSyncPost(res: Response): boolean {
  return res.url().endsWith("/api/leads/sync") && res.request().method() === "POST";
}

browserTest(
  "[e2e] dashboard - Sync finds a lead the webhook missed, shows progress and result toasts",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, sendLead, pageErrors }) => {
      const page = await openDashboard();
      // One delivered lead makes its page known; then a lead whose webhook never came.
      const delivered = await sendLead();
      const deliveredRow = await server.app.services.leads.getLeadByLeadgenId(delivered.id);
      await page.locator(`[data-lead-id="${deliveredRow!.id}"]`).waitFor({ timeout: 15_000 });
      const missed = sim.createLead({ organic: false, pageId: delivered.pageId });
      await page.locator("[data-toast] .toast-close").click();

      // The sync line (server-rendered, refreshed as a fragment) follows the sweep from the click
      // on: the sweep is held on Meta's listing of the form's leads until it has shown progress.
      const line = page.locator("[data-sync]");
      assert.equal(await line.getAttribute("data-sync"), "never");
      let releaseListing!: () => void;
      sim.injectFault({
        path: "form_leads",
        until: new Promise<void>((resolve) => releaseListing = resolve),
        times: 1,
      });
      const button = page.locator('[data-action="sync"]');
      const answered = page.waitForResponse(isSyncPost);
      // Awaited once the sweep is let go: a failure before then must not leave it dangling.
      answered.catch(() => {});
      await button.click();
      const running = page.locator('[data-sync="running"]');
      await running.waitFor();
      // The sweep says "0 of 0 forms" until it has asked Meta for the page's forms.
      const [, , forms] = await waitFor(async () => {
        const match =
          /^(Syncing with Meta|Loading past leads from Meta): 0 of (\d+) forms, 0 leads found$/
            .exec(await running.innerText());
        assert.ok(match, await running.innerText());
        return Number(match[2]) >= 1 ? match : null;
      }, "the sweep to count the page's forms");
      assert.equal(await running.locator("progress").getAttribute("max"), forms);
      assert.equal(await running.getAttribute("data-live-every"), "1500", "faster while it runs");
      releaseListing();
      const summary = await (await answered).json();
      assert.equal(summary.inserted, 1, "the sweep found the missed lead");
      const stored = await server.app.services.leads.getLeadByLeadgenId(missed.id);
      assert.ok(stored, "Sync stored the lead the webhook missed");
      await page.locator(`[data-lead-id="${stored.id}"]`).waitFor({ timeout: 15_000 });
      await page.locator("[data-toast]", { hasText: "1 new lead from Meta" }).waitFor();
      await page.locator('[data-sync="done"]', { hasText: "1 new lead" }).waitFor();
      assert.match(
        await line.innerText(),
        /^Last sync with Meta just now: 1 new lead \(\d+ checked in \d+ forms\)$/,
      );
      assert.equal(await line.getAttribute("data-live-every"), "20000", "and slower again after");
      await page.locator("[data-toast]", { hasText: /^New lead: / }).first().waitFor();
      assert.equal(await button.textContent(), "Sync", "the button is ready again");
      await waitFor(async () => {
        if (await page.locator("[data-toast]").count() === 0) return true;
        await page.locator("[data-toast] .toast-close").first().click();
        return false;
      }, "every toast to be closed");

      // Right away again: the server hands back the last sweep's result (skipped) and did not
      // look, so a lead lost meanwhile stays missing: the toast must not say "Up to date".
      sim.createLead({ organic: false, pageId: delivered.pageId });
      const again = page.waitForResponse(isSyncPost);
      await button.click();
      assert.equal((await (await again).json()).skipped, true);
      const toast = page.locator("[data-toast]").first();
      await toast.waitFor();
      const said = await toast.locator(".toast-text").textContent() ?? "";
      assert.match(said, /^Last synced \d+ s ago; next sync possible in \d+ s\.$/);
      assert.doesNotMatch(said, /up to date/i);
      await toast.locator(".toast-close").click();
      assert.equal(await page.locator("[data-toast]").count(), 0, "toasts can be dismissed");

      // While a sync runs the button says so; a failure is reported in the toast.
      let release!: () => void;
      const held = new Promise<void>((resolve) => release = resolve);
      await page.route("**/api/leads/sync", async (route) => {
        await held;
        await route.fulfill({
          status: 502,
          contentType: "application/json",
          body: JSON.stringify({ error: "Meta did not answer" }),
        });
      });
      await button.click();
      await page.locator('[data-action="sync"]', { hasText: "Syncing…" }).waitFor();
      assert.equal(await button.isDisabled(), true);
      release();
      await page.locator("[data-toast]", { hasText: "Sync failed: Meta did not answer" }).waitFor();
      assert.equal(await button.textContent(), "Sync");
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] dashboard - every resync interval it reloads the list and asks the server to sync",
  async (browser) => {
    await withDashboard(browser, async ({ openDashboard, pageErrors }) => {
      const requests: string[] = [];
      await openDashboard({
        prepare(page) {
          page.on("request", (req) => {
            const path = new URL(req.url()).pathname + new URL(req.url()).search;
            if (path.startsWith("/api/leads?limit=")) requests.push("list");
            if (path === "/api/leads/sync" && req.method() === "POST") requests.push("sync");
          });
          return Promise.resolve();
        },
      });
      await waitFor(
        () => requests.filter((r) => r === "sync").length >= 2,
        "two resyncs to ask the server for a sync",
        { intervalMs: 100 },
      );
      assert.ok(requests.filter((r) => r === "list").length >= 2, "the list is reloaded");
      assert.ok(requests.filter((r) => r === "sync").length >= 2, "a sync is requested");
      assert.deepEqual(pageErrors, []);
    }, { env: { DASHBOARD_RESYNC_MS: "800" } });
  },
);
