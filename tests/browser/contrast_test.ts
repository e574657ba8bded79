// Browser: every piece of text people see, buttons and links in every state, meets WCAG AA contrast.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { newManualLead } from "../../lib/leads/model.ts";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { contrastFailures, type ContrastSample, contrastSamples } from "./_contrast.ts";
import { withDashboard } from "./_dashboard.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";

/** Waits until the lead of `leadgenId` leaves "pending"; returns its id. */
async function settledLeadId(
  leads: Parameters<typeof waitForLeadDetails>[0],
  leadgenId: string,
): Promise<string> {
  return (await waitForLeadDetails(leads, leadgenId)).id;
}

browserTest(
  "[e2e] contrast - buttons, links, tags and text meet WCAG AA (4.5:1) in every state on every page",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, openDashboard, sendLead, pageErrors }) => {
      const { leads } = server.app.services;
      // A failed lead (Meta error 190 also raises the dashboard alert), a contacted one, new ones.
      sim.injectFault({ path: "lead", code: 190, status: 400, times: 3 });
      const failed = await settledLeadId(leads, (await sendLead({ fullName: "Fay Failed" })).id);
      const contacted = await settledLeadId(
        leads,
        (await sendLead({ fullName: "Cole Called" })).id,
      );
      const res = await server.fetch(`/api/leads/${contacted}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "contacted" }),
      });
      await res.body?.cancel();
      await settledLeadId(leads, (await sendLead({ fullName: "Nell Newby" })).id);

      const samples: ContrastSample[] = [];
      const page = await openDashboard();
      // A live lead: the "Just in" tag, the highlighted row and its toast.
      await sendLead({ fullName: "Jess Justin" });
      await page.locator(".tag-fresh").first().waitFor({ timeout: 10_000 });
      await page.locator("[data-toast]").first().waitFor();
      // The Add lead form open, with its field errors.
      await page.click('[data-action="add-lead"]');
      await page.locator('[data-form="add-lead"] button[type="submit"]').click();
      await page.locator("[data-error-for]").first().waitFor();
      samples.push(...await contrastSamples(page, "dashboard"));

      await page.goto(`${server.url}/leads/${failed}`);
      samples.push(...await contrastSamples(page, "lead page (failed)"));
      await page.goto(`${server.url}/leads/${contacted}`);
      samples.push(...await contrastSamples(page, "lead page (contacted)"));
      // An admin's Delete, at its confirmation step (the red "Delete for good").
      await page.goto(`${server.url}/leads/${contacted}?erase=confirm`);
      samples.push(...await contrastSamples(page, "lead page (delete confirmation)"));
      await page.goto(`${server.url}/team`);
      samples.push(...await contrastSamples(page, "team"));

      const signedOut: Page = await (await browser.newContext()).newPage();
      await signedOut.goto(`${server.url}/login`);
      await signedOut.fill('input[name="email"]', "nobody@example.com");
      await signedOut.fill('input[name="password"]', "wrong password here");
      await signedOut.click('button[type="submit"]');
      await signedOut.locator(".form-error").waitFor();
      samples.push(...await contrastSamples(signedOut, "login"));
      await signedOut.context().close();

      // The pairs the issue named: the primary buttons (Sync, Add, Sign in) were measured.
      for (
        const text of ["Sync", "Add", "Sign in", "Mark contacted", "Just in", "Delete for good"]
      ) {
        assert.ok(
          samples.some((s) => s.where.includes(`"${text}"`) && s.where.includes("[default]")),
          `${text} was measured`,
        );
      }
      assert.deepEqual(contrastFailures(samples), []);
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] contrast - the empty demo dashboard (banner, Send a test lead) meets WCAG AA",
  async (browser) => {
    const server = await startTestServer();
    try {
      const page = await (await browser.newContext()).newPage();
      await signIn(page, server);
      await page.goto(server.url + "/");
      await page.locator('[data-action="send-test-lead"]').waitFor();
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      const samples = await contrastSamples(page, "empty demo dashboard");
      assert.ok(samples.some((s) => s.where.includes('"Send a test lead"')));
      assert.ok(samples.some((s) => s.where.includes('"Demo mode."')));
      assert.deepEqual(contrastFailures(samples), []);
      await page.context().close();
    } finally {
      await server.close();
    }
  },
);

browserTest(
  "[e2e] contrast - working the leads (clocks, owners, Claim, duplicates, follow-ups, shift), the Due view, the lead page's activity form and /team/routing meet WCAG AA",
  async (browser) => {
    await withDashboard(browser, async ({ server, sendLead, openDashboard, pageErrors }) => {
      const { leads } = server.app.services;
      const now = Date.now();
      // Rows whose waiting clock is amber and red.
      const waiting = [6, 20].map((minutes, i) =>
        newManualLead({
          source: "phone",
          fullName: `Wes Waiting ${i + 1}`,
          phone: `+1555555017${i}`,
          createdTime: new Date(now - minutes * 60_000).toISOString(),
        }, new Date(now - minutes * 60_000))
      );
      await leads.insertLeads(waiting);
      // A Meta lead and a hand-entered one with the same phone: a possible duplicate.
      const meta = await sendLead({ fullName: "Dee Meta" });
      await settledLeadId(leads, meta.id);
      const dupe = await server.fetch("/api/leads", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          fullName: "Dee by phone",
          phone: meta.fields.phone,
          source: "phone",
        }),
      });
      const dupeId = (await dupe.json()).id as string;
      // A claimed lead with a call, a follow-up already due, and so in the Due view.
      const claim = await server.fetch(`/api/leads/${dupeId}/claim`, { method: "POST" });
      await claim.body?.cancel();
      const due = await server.fetch(`/api/leads/${dupeId}/activities`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "call",
          outcome: "talked",
          followUpAt: new Date(now - 30 * 60_000).toISOString(),
        }),
      });
      assert.equal(due.status, 201);
      await due.body?.cancel();

      const samples: ContrastSample[] = [];
      const page = await openDashboard();
      await page.getByRole("button", { name: "Go on shift" }).click();
      await page.locator('[data-shift="on"]').waitFor();
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      await page.locator('[data-clock="red"]').waitFor();
      // A new lead's toast with its Claim button.
      await sendLead({ fullName: "Tom Toast" });
      await page.locator("[data-toast] [data-action=claim]").waitFor({ timeout: 10_000 });
      await page.goto(`${server.url}/?view=all`);
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      // The per-agent figures are folded away on the dashboard: opened to be measured.
      await page.locator("[data-team-strip] summary").click();
      for (
        const selector of [
          '[data-clock="amber"]',
          '[data-clock="red"]',
          "[data-duplicate]",
          ".lead-follow-up-due",
          "[data-contacted-in]",
          "[data-team-strip] table",
          "[data-action=claim]",
        ]
      ) {
        await page.locator(selector).first().waitFor();
      }
      samples.push(...await contrastSamples(page, "dashboard (all, working)"));

      await page.goto(`${server.url}/?view=due`);
      await page.locator(`[data-lead-id="${dupeId}"]`).waitFor();
      samples.push(...await contrastSamples(page, "Due view"));

      // The lead page: owner controls, counts, the duplicate link, and a refused activity.
      await page.goto(`${server.url}/leads/${dupeId}`);
      await page.selectOption("#activity-kind", "note");
      await page.getByRole("button", { name: "Log it" }).click();
      await page.locator("#activity-text-error").waitFor();
      samples.push(...await contrastSamples(page, "lead page (work, refused activity)"));

      await page.goto(`${server.url}/team/routing`);
      await page.fill('input[name="timeZone"]', "Mars/Olympus");
      await page.getByRole("button", { name: "Save" }).click();
      await page.locator(".field-error").first().waitFor();
      samples.push(...await contrastSamples(page, "routing settings (refused)"));

      for (
        const text of [
          "Claim",
          "Go off shift",
          "Possible duplicate",
          "Due today",
          "Log it",
          "Assign",
          "Save",
          "Per agent",
        ]
      ) {
        assert.ok(
          samples.some((s) => s.where.includes(`"${text}"`) && s.where.includes("[default]")),
          `${text} was measured`,
        );
      }
      assert.ok(samples.some((s) => /Waiting \d+ min/.test(s.where)), "the clocks were measured");
      assert.deepEqual(contrastFailures(samples), []);
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] contrast - dark mode (prefers-color-scheme): the table, filters, bulk bar, toasts, clocks, Reports, the lead page, settings and sign-in meet WCAG AA",
  async (browser) => {
    await withDashboard(browser, async ({ sim, server, sendLead, openDashboard, pageErrors }) => {
      const { leads } = server.app.services;
      const now = Date.now();
      await leads.insertLeads([6, 20].map((minutes, i) =>
        newManualLead({
          source: "phone",
          fullName: `Wes Waiting ${i + 1}`,
          phone: `+1555555027${i}`,
          createdTime: new Date(now - minutes * 60_000).toISOString(),
        }, new Date(now - minutes * 60_000))
      ));
      sim.injectFault({ path: "lead", code: 190, status: 400, times: 3 });
      const failed = await settledLeadId(leads, (await sendLead({ fullName: "Fay Failed" })).id);
      const meta = await settledLeadId(leads, (await sendLead({ fullName: "Cole Called" })).id);
      const res = await server.fetch(`/api/leads/${meta}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ status: "contacted" }),
      });
      await res.body?.cancel();

      const samples: ContrastSample[] = [];
      const page = await openDashboard({
        prepare: (p) => p.emulateMedia({ colorScheme: "dark" }),
      });
      assert.equal(
        await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor),
        "rgb(17, 19, 24)",
        "the page follows the system's dark mode",
      );
      await page.goto(`${server.url}/?view=all`);
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      await sendLead({ fullName: "Jess Justin" });
      await page.locator(".tag-fresh").first().waitFor({ timeout: 10_000 });
      await page.locator("[data-toast]").first().waitFor();
      await page.locator('[data-clock="red"]').first().waitFor();
      await page.locator("[data-team-strip] summary").click();
      await page.getByRole("checkbox", { name: "Select Wes Waiting 1" }).check();
      await page.locator("[data-bulk]").waitFor();
      await page.locator(".filter-menu summary").first().click();
      samples.push(...await contrastSamples(page, "dark dashboard"));

      for (
        const path of ["/reports", `/leads/${failed}`, `/leads/${meta}`, "/settings/table", "/team"]
      ) {
        await page.goto(server.url + path);
        samples.push(...await contrastSamples(page, `dark ${path}`));
      }
      const signedOut = await (await browser.newContext({ colorScheme: "dark" })).newPage();
      await signedOut.goto(`${server.url}/login`);
      samples.push(...await contrastSamples(signedOut, "dark login"));
      await signedOut.context().close();

      for (const text of ["Sync", "Mark contacted", "Just in", "Assign", "Apply", "Claim"]) {
        assert.ok(
          samples.some((s) => s.where.includes(`"${text}"`) && s.where.includes("[default]")),
          `${text} was measured`,
        );
      }
      assert.deepEqual(contrastFailures(samples), []);
      assert.deepEqual(pageErrors, []);
    });
  },
);
