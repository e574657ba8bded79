import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import type { Page } from "playwright-core";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function intersects(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height &&
    b.y < a.y + a.height;
}

/** The boxes of every button and link in the rows, with what they say. */
function rowControls(page: Page): Promise<(Box & { text: string })[]> {
  return page.locator("[data-lead-id] button, [data-lead-id] a").evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height, text: el.textContent ?? "" };
    })
  );
}

for (const viewport of [{ width: 375, height: 740 }, { width: 1280, height: 800 }]) {
  browserTest(
    `[e2e] dashboard - a burst of 5 leads is one toast "5 new leads", clear of the rows' buttons (${viewport.width} px)`,
    async (browser) => {
      await withDashboard(browser, async ({ sim, server, openDashboard, pageErrors }) => {
        // Rows filling the screen first (rendered by the server: no toasts for them).
        const earlier = Array.from({ length: 8 }, () => sim.createLead({ organic: false }));
        const res = await sim.deliver(earlier, server.url + "/webhook");
        await res.body?.cancel();
        const page = await openDashboard();
        await page.setViewportSize(viewport);
        await page.locator("[data-lead-id]").nth(7).waitFor({ timeout: 10_000 });
        // In page coordinates: on a phone the toast's place may be below the fold (the team strip
        // comes first), and clicking its close button scrolls the window, which moves nothing.
        const firstRowTop = () =>
          page.locator("[data-lead-id]").first().evaluate((el) =>
            el.getBoundingClientRect().top + scrollY
          );
        const firstRowBefore = await firstRowTop();

        // Five leads within a second, one webhook delivery each, as Meta sends them.
        // Long names: the toast must still fit the place kept for it.
        const burst = Array.from({ length: 5 }, (_, i) =>
          sim.createLead({
            organic: false,
            fields: { fullName: `Maximiliana Bartholomew-Featherstonehaugh ${i + 1}` },
          }));
        await Promise.all(burst.map(async (lead) => {
          const sent = await sim.deliver([lead], server.url + "/webhook");
          await sent.body?.cancel();
        }));
        await page.locator("[data-lead-id]").nth(12).waitFor({ timeout: 10_000 });
        const toast = page.locator("[data-toast]");
        await page.locator('[data-toast][data-leads="5"]').waitFor({ timeout: 15_000 });
        assert.equal(await toast.count(), 1, "one toast for the burst, not five");
        const text = await toast.locator(".toast-text").innerText();
        assert.match(text, /^5 new leads: [^,]+, [^,]+, [^,]+ and 2 more$/);
        // The names fill in as Meta's details arrive (the three newest are named; the burst's
        // deliveries may land in any order).
        const names = burst.map((lead) => lead.fields.fullName);
        const named = await waitFor(async () => {
          const shown = await toast.locator(".toast-link").allTextContents();
          return shown.length === 3 && shown.every((name) => names.includes(name)) && shown;
        }, "the toast to name the three newest leads of the burst");
        assert.equal(named.length, 3, `three names shown: ${named}`);
        assert.ok(named.every((name) => names.includes(name)), `the burst's names: ${named}`);
        assert.ok(
          await toast.locator(".toast-text").evaluate((el) => el.scrollHeight > el.clientHeight),
          "long names are cut to two lines",
        );

        const toastBox = (await toast.boundingBox())!;
        const controls = await rowControls(page);
        assert.ok(controls.length >= 13 * 2, `the rows' buttons and links (${controls.length})`);
        const covered = controls.filter((control) => intersects(toastBox, control));
        assert.deepEqual(covered, [], "the toast covers none of the rows' buttons or links");
        const overflow = await page.evaluate(() =>
          document.documentElement.scrollWidth - document.documentElement.clientWidth
        );
        assert.equal(overflow, 0, "nothing sticks out sideways");

        // The toast has its own place: the list does not move when it goes.
        assert.equal(await firstRowTop(), firstRowBefore, "the toast did not push the list");
        await toast.locator(".toast-close").click();
        assert.equal(await toast.count(), 0);
        assert.equal(await firstRowTop(), firstRowBefore, "nor does its going pull it up");

        // A later lead, while no toast shows, gets a toast of its own again.
        const later = sim.createLead({ organic: false, fields: { fullName: "Lena Later" } });
        const sent = await sim.deliver([later], server.url + "/webhook");
        await sent.body?.cancel();
        await page.locator("[data-toast]", { hasText: "New lead: Lena Later" }).waitFor({
          timeout: 10_000,
        });
        assert.equal(await toast.count(), 1);
        assert.deepEqual(pageErrors, []);
      });
    },
  );
}
