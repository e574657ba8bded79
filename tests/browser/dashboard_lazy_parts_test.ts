// The dashboard's rarely used parts (bulk bar, toasts, server actions with Sync's message, the
// table's keys, the add-lead form) are not loaded with the page (issue 16: its first JS stays small), and
// each loads and works the first time it is used.

import assert from "node:assert/strict";
import { BUNDLE_PREFIX } from "../../lib/islands/bundles.ts";
import { browserTest } from "../_helpers/browser.ts";
import { unworkedLeads } from "../_helpers/lead_generator.ts";
import { rowIds, withDashboard } from "./_dashboard.ts";

/** The lazily loaded modules, by the name esbuild gives their chunk ("BulkBar-XXXX.js"). */
const LAZY = ["BulkBar", "Toasts", "actions", "LeadForm", "table_keys", "alerts"];

browserTest(
  "[e2e] dashboard - lazy parts: none loads with the page; the keys, the bulk bar, toasts, Sync, the add-lead form and the sound each load and work on first use",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, pageErrors }) => {
      const leads = unworkedLeads(3, 8);
      await server.app.services.leads.insertLeads(leads);
      const loaded = new Set<string>();
      const page = await openDashboard({
        prepare(page) {
          page.on("response", (res) => {
            const path = new URL(res.url()).pathname;
            if (!path.startsWith(BUNDLE_PREFIX) || res.status() !== 200) return;
            const name = /^([A-Za-z_]+)-/.exec(path.slice(BUNDLE_PREFIX.length))?.[1];
            if (name) loaded.add(name);
          });
          return Promise.resolve();
        },
      });
      await page.goto(server.url + "/?view=all");
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      assert.ok(loaded.has("Page"), "the page's islands loaded, as one script");
      assert.deepEqual(LAZY.filter((name) => loaded.has(name)), [], "no lazy part loaded yet");

      // The table's keys: the first press loads them and is handled ("j" focuses the first row).
      const [id] = await rowIds(page);
      await page.keyboard.press("j");
      await page.waitForFunction(
        (first) => document.activeElement?.getAttribute("data-lead-id") === first,
        id,
        { timeout: 10_000 },
      );
      assert.ok(loaded.has("table_keys"));

      // The bulk bar: selecting a row loads it; its action (and the toasts) work at once.
      await page.locator(`[data-lead-id="${id}"] input[type=checkbox]`).check();
      const bar = page.getByRole("region", { name: "Selected leads" });
      await bar.getByText("1 selected").waitFor({ timeout: 10_000 });
      assert.ok(loaded.has("BulkBar"));
      await bar.getByRole("button", { name: "Assign" }).click();
      await page.locator("[data-toast]", { hasText: "1 updated" }).waitFor({ timeout: 10_000 });
      await page.locator(`[data-lead-id="${id}"][data-owner="${server.user.id}"]`).waitFor();
      assert.ok(loaded.has("actions") && loaded.has("Toasts"));

      // Sync (its message is in the actions' chunk) says what the sync did.
      await page.locator('[data-action="sync"]').click();
      await page.locator("[data-toast]").filter({ hasNotText: "updated" }).first()
        .waitFor({ timeout: 10_000 });

      // The add-lead form and its country list load when it first opens, and it adds a lead.
      assert.equal(loaded.has("LeadForm"), false);
      await page.click('[data-action="add-lead"]');
      const form = page.locator('[data-form="add-lead"]');
      await form.waitFor({ timeout: 10_000 });
      assert.ok(loaded.has("LeadForm"));
      assert.ok(await form.locator('select[name="phoneCountry"] option').count() > 10);
      await form.locator('input[name="fullName"]').fill("Lazy Larry");
      await form.locator('input[name="phone"]').fill("+442079460000");
      await form.locator('button[type="submit"]').click();
      await page.locator(".add-lead .form-notice", { hasText: "Added Lazy Larry" })
        .waitFor({ timeout: 10_000 });

      // Notifications and the chime load when the user turns one on.
      assert.equal(loaded.has("alerts"), false);
      await page.getByLabel("Sound", { exact: true }).check();
      for (let i = 0; i < 100 && !loaded.has("alerts"); i++) await page.waitForTimeout(50);
      assert.ok(loaded.has("alerts"), "turning the sound on loads it");
      assert.deepEqual(pageErrors, []);
    });
  },
);
