// Erasing a lead in a real browser: the lead page's Delete asks for confirmation (a page, no
// script needed), and every open dashboard drops the row at once: one on the event stream, one
// polling because its stream is blocked.

import assert from "node:assert/strict";
import { browserTest } from "../_helpers/browser.ts";
import { rowIds, withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] erasure - Delete on the lead page, confirmed, drops the row live from a streaming and a polling dashboard",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, sendLead, pageErrors }) => {
      const kept = await sendLead({ fullName: "Kept Person" });
      const erased = await sendLead({ fullName: "Erased Person" });
      const { leads } = server.app.services;
      const keptId = (await leads.getLeadByLeadgenId(kept.id))!.id;
      const erasedId = (await leads.getLeadByLeadgenId(erased.id))!.id;

      const streaming = await openDashboard();
      const polling = await openDashboard({
        connection: "polling",
        prepare: async (page) => {
          await page.route("**/api/events**", (route) => route.abort("connectionreset"));
        },
      });
      for (const page of [streaming, polling]) {
        await page.locator(`[data-lead-id="${erasedId}"]`).waitFor({ timeout: 10_000 });
      }

      const admin = await openDashboard();
      await admin.goto(`${server.url}/leads/${erasedId}`);
      await admin.locator("[data-erase-start]").click();
      await admin.waitForURL(`**/leads/${erasedId}?erase=confirm*`);
      assert.equal(
        await leads.getLead(erasedId) !== null,
        true,
        "nothing is deleted before the confirmation",
      );
      await admin.locator("[data-erase-form] button", { hasText: "Delete for good" }).click();
      await admin.waitForURL(`${server.url}/`);

      for (const page of [streaming, polling, admin]) {
        await page.locator(`[data-lead-id="${erasedId}"]`).waitFor({
          state: "detached",
          timeout: 15_000,
        });
        assert.deepEqual(await rowIds(page), [keptId], "the other lead stays");
      }
      assert.equal(await leads.getLead(erasedId), null);
      assert.deepEqual(pageErrors, []);
    });
  },
);
