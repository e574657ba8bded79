// Browser: an agent adds a phoned-in lead and a colleague's open dashboard shows it; Sync finds held leads.

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startTestServer, type TestServer, type TestUser } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";

async function openDashboard(
  browser: Browser,
  server: TestServer,
  user: TestUser,
  errors: string[],
) {
  const page = await (await browser.newContext()).newPage();
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, { url: server.url, user });
  await page.goto(server.url + "/");
  await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
  return page;
}

function rowNamed(page: Page, name: string) {
  return page.locator("[data-lead-id]", { hasText: name });
}

browserTest(
  "[browser] a lead added by hand appears live on a colleague's open dashboard",
  async (browser) => {
    const server = await startTestServer({ env: { DEFAULT_PHONE_COUNTRY: "US" } });
    const errors: string[] = [];
    try {
      const colleague = await server.addUser("agent", { name: "Colleague" });
      const agentPage = await openDashboard(browser, server, server.user, errors);
      const colleaguePage = await openDashboard(browser, server, colleague, errors);

      await agentPage.click('[data-action="add-lead"]');
      const form = agentPage.locator('[data-form="add-lead"]');
      await form.locator('button[type="submit"]').click();
      await form.locator('[data-error-for="fullName"]').waitFor();
      // Whole sentences, not a label glued to a fragment ("Phone give a phone number…").
      assert.equal(
        await form.locator('[data-error-for="fullName"]').innerText(),
        "Give the lead's name.",
      );
      assert.equal(
        await form.locator('[data-error-for="phone"]').innerText(),
        "Give a phone number or an email address.",
      );

      await form.locator('input[name="fullName"]').fill("Walk In Wendy");
      await form.locator('input[name="phone"]').fill("(415) 555-0177");
      await form.locator('select[name="source"]').selectOption("walk-in");
      await form.locator('textarea[name="notes"]').fill("Asked about financing");
      await form.locator('button[type="submit"]').click();
      await agentPage.locator(".add-lead .form-notice", { hasText: "Added Walk In Wendy" })
        .waitFor({ timeout: 15_000 });

      // The colleague did nothing: the lead arrives over the event stream, with a toast.
      const row = rowNamed(colleaguePage, "Walk In Wendy");
      await row.waitFor({ timeout: 15_000 });
      assert.match(await row.innerText(), /\+14155550177|415/);
      await colleaguePage.locator('[role="status"]', { hasText: "Walk In Wendy" }).first()
        .waitFor({ timeout: 15_000 });
      await rowNamed(agentPage, "Walk In Wendy").waitFor({ timeout: 15_000 });

      const stored = await (await server.fetch("/api/leads")).json();
      const lead = stored.leads.find((item: { fullName: string }) =>
        item.fullName === "Walk In Wendy"
      );
      assert.equal(lead.source, "walk-in");
      assert.equal(lead.phone, "+14155550177");
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "[browser] Sync finds a lead the simulator never delivered and says when it ran",
  async (browser) => {
    const server = await startTestServer();
    const errors: string[] = [];
    try {
      const page = await openDashboard(browser, server, server.user, errors);
      const asked: string[] = [];
      page.on("request", (req) => {
        const path = new URL(req.url()).pathname;
        if (path === "/fragments/sync-status" || path === "/api/leads/sync") {
          asked.push(`${req.method()} ${path}`);
        }
      });
      assert.match(await page.locator("[data-sync]").innerText(), /Not synced with Meta yet/);
      const sim = server.app.services.simulator!;
      const held = sim.createLead({ fields: { fullName: "Held Back Harriet" } });

      await page.click('[data-action="sync"]');
      await rowNamed(page, "Held Back Harriet").waitFor({ timeout: 10_000 });
      await page.locator('[role="status"]', { hasText: "1 new lead from Meta" })
        .waitFor({ timeout: 15_000 });
      await page.locator('[data-sync="done"]', { hasText: "1 new lead" }).waitFor({
        timeout: 15_000,
      });
      assert.match(await page.locator("[data-sync]").innerText(), /Last sync with Meta just now/);
      // The line is the server's, fetched again soon after the click (well before its 20 s).
      assert.equal(asked[0], "POST /api/leads/sync");
      assert.ok(asked.includes("GET /fragments/sync-status"), asked.join(", "));
      assert.ok(!asked.includes("GET /api/leads/sync"), "no JSON to render in the browser");
      const stored = await server.app.services.leads.getLeadByLeadgenId(held.id);
      assert.equal(stored?.fullName, "Held Back Harriet");
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  },
);
