import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] dashboard - the Sync button shows progress and a result toast",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, pageErrors }) => {
      const page = await openDashboard();
      // A lead only the simulator knows: the webhook for it never came.
      const missed = sim.createLead({ organic: false });
      const button = page.locator('[data-action="sync"]');
      const answered = page.waitForResponse((res) => res.url().endsWith("/api/leads/sync"));
      await button.click();
      const summary = await (await answered).json();
      const toast = page.locator("[data-toast]").first();
      await toast.waitFor();
      if (summary.inserted > 0) {
        // Reconciliation exists: the missed lead is stored and shown.
        const stored = await server.app.services.leads.getLeadByLeadgenId(missed.id);
        assert.ok(stored, "Sync stored the lead the webhook missed");
        await page.locator(`[data-lead-id="${stored.id}"]`).waitFor({ timeout: 5_000 });
        const plural = summary.inserted === 1 ? "" : "s";
        assert.equal(
          await toast.locator(".toast-text").textContent(),
          `${summary.inserted} new lead${plural} from Meta`,
        );
      } else {
        assert.equal(await toast.locator(".toast-text").textContent(), "Up to date");
      }
      assert.equal(await button.textContent(), "Sync", "the button is ready again");
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
      const deadline = Date.now() + 10_000;
      while (requests.filter((r) => r === "sync").length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(requests.filter((r) => r === "list").length >= 2, "the list is reloaded");
      assert.ok(requests.filter((r) => r === "sync").length >= 2, "a sync is requested");
      assert.deepEqual(pageErrors, []);
    }, { env: { DASHBOARD_RESYNC_MS: "800" } });
  },
);
