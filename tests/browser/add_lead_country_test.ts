// Browser: the Add lead form says what happens to a number typed without its country code, and
// lets the agent choose the country.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";

browserTest(
  "[browser] Add lead without DEFAULT_PHONE_COUNTRY: no +1 hint, says numbers stay as typed, asks for the country",
  async (browser) => {
    const server = await startTestServer();
    try {
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await signIn(page, server);
      await page.goto(server.url + "/");
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      await page.click('[data-action="add-lead"]');
      const form = page.locator('[data-form="add-lead"]');
      const phone = form.locator('input[name="phone"]');
      const country = form.locator('select[name="phoneCountry"]');
      const hint = form.locator("[data-phone-hint]");

      assert.doesNotMatch(await phone.getAttribute("placeholder") ?? "", /\+1\b/);
      assert.equal(await country.inputValue(), "", "no country is chosen for the agent");
      assert.match(await hint.innerText(), /stored as typed, without a country code/);

      await country.selectOption("GB");
      assert.equal(
        await hint.innerText(),
        "A number without + gets the country code +44 (United Kingdom).",
      );
      await form.locator('input[name="fullName"]').fill("Gwen Britton");
      await phone.fill("020 7946 0958");
      await form.locator('button[type="submit"]').click();
      await page.locator(".add-lead .form-notice", { hasText: "Added Gwen Britton" }).waitFor();
      const { leads } = await (await server.fetch("/api/leads")).json();
      assert.equal(leads[0].fullName, "Gwen Britton");
      assert.equal(leads[0].phone, "+442079460958");
      assert.equal(await country.inputValue(), "GB", "the country stays for the next lead");
      assert.equal(await phone.inputValue(), "", "the rest of the form is cleared");

      // None chosen: a national number is kept as typed, as the form said.
      await country.selectOption("");
      await form.locator('input[name="fullName"]').fill("Nat Ional");
      await phone.fill("020 7946 0959");
      await form.locator('button[type="submit"]').click();
      await page.locator(".add-lead .form-notice", { hasText: "Added Nat Ional" }).waitFor();
      const again = await (await server.fetch("/api/leads")).json();
      assert.equal(
        again.leads.find((lead: { fullName: string }) => lead.fullName === "Nat Ional").phone,
        "02079460959",
      );
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "[browser] Add lead with DEFAULT_PHONE_COUNTRY=US: the country is chosen and the hint says +1",
  async (browser) => {
    const server = await startTestServer({ env: { DEFAULT_PHONE_COUNTRY: "US" } });
    try {
      const page = await (await browser.newContext()).newPage();
      await signIn(page, server);
      await page.goto(server.url + "/");
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      await page.click('[data-action="add-lead"]');
      const form = page.locator('[data-form="add-lead"]');
      assert.equal(await form.locator('select[name="phoneCountry"]').inputValue(), "US");
      assert.equal(
        await form.locator("[data-phone-hint]").innerText(),
        "A number without + gets the country code +1 (United States).",
      );
    } finally {
      await server.close();
    }
  },
);
