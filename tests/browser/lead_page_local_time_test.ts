import assert from "node:assert/strict";
import { formatTime } from "../../lib/format/time.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";
import { withDashboard } from "./_dashboard.ts";

browserTest(
  "[e2e] lead page - times in the browser's zone (Asia/Kolkata) with the zone, Instagram in words, raw JSON folded",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server }) => {
      const simLead = sim.createLead({ organic: false, platform: "ig" });
      const res = await sim.deliver([simLead], server.url + "/webhook");
      await res.body?.cancel();
      const lead = await waitForLeadDetails(server.app.services.leads, simLead.id, "fetched");
      const kolkata = { timeZone: "Asia/Kolkata", locale: "en-GB" };
      const expected = formatTime(lead!.createdTime, kolkata);
      assert.match(expected, /GMT\+5:30$/);

      const context = await browser.newContext({ timezoneId: "Asia/Kolkata", locale: "en-GB" });
      try {
        const page = await context.newPage();
        await signIn(page, server);
        // The dashboard tells the server the zone; the lead page is rendered in it.
        await page.goto(server.url + "/");
        await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
        await page.locator(`[data-lead-id="${lead!.id}"] .lead-name`).click();
        await page.waitForURL(`**/leads/${lead!.id}`);
        const created = page.locator(`time[datetime="${lead!.createdTime}"]`).first();
        assert.equal(await created.textContent(), expected);
        const times = await page.locator("time").allTextContents();
        assert.ok(times.length >= 3, "created, received and the timeline");
        for (const text of times) assert.match(text, /GMT\+5:30$/, `local, with its zone: ${text}`);
        assert.match(
          await page.locator(".detail-card").first().innerText(),
          /Meta lead ad · Instagram/,
        );

        // The raw field_data is there for whoever asks, folded away for everyone else.
        const raw = page.locator("[data-raw]");
        assert.equal(await raw.isVisible(), false);
        await page.getByText("Raw field_data (JSON)").click();
        assert.equal(await raw.isVisible(), true);
        assert.match(await raw.innerText(), /"name": "full_name"/);

        // No script is needed on the lead page itself: the cookie is enough.
        const noJs = await browser.newContext({ javaScriptEnabled: false, locale: "en-GB" });
        try {
          await noJs.addCookies(await context.cookies());
          const plain = await noJs.newPage();
          await plain.goto(`${server.url}/leads/${lead!.id}`);
          const text = await plain.locator(`time[datetime="${lead!.createdTime}"]`).first()
            .textContent();
          assert.equal(text, expected);
        } finally {
          await noJs.close();
        }
      } finally {
        await context.close();
      }
    });
  },
);
