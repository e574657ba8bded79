// Two people working the same leads in two browsers: claims pushed live, the waiting clock, the Due
// view, and the duplicate badges.

import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { SESSION_COOKIE } from "../../lib/auth_web/cookies.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import type { TestServer, TestUser } from "../_helpers/app.ts";
import { browserTest } from "../_helpers/browser.ts";
import { withDashboard } from "./_dashboard.ts";
import { waitForLeadDetails } from "../_helpers/leads.ts";

/** Opens `path` in a new browser context signed in as `user`, waiting for the live badge. */
async function openAs(
  browser: Browser,
  server: TestServer,
  user: TestUser,
  path = "/",
  prepare?: (page: Page) => Promise<void>,
): Promise<Page> {
  const context = await browser.newContext();
  await context.addCookies([{
    name: SESSION_COOKIE,
    value: user.sessionId,
    url: server.url,
    httpOnly: true,
    sameSite: "Lax",
  }]);
  const page = await context.newPage();
  await prepare?.(page);
  await page.goto(server.url + path);
  await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
  return page;
}

async function fetchedLeadId(server: TestServer, leadgenId: string): Promise<string> {
  return (await waitForLeadDetails(server.app.services.leads, leadgenId)).id;
}

browserTest(
  "[e2e] work - an agent claims a lead in one dashboard; the other dashboard shows the owner live",
  async (browser) => {
    await withDashboard(browser, async ({ server, sendLead }) => {
      const ann = await server.addUser("agent", { name: "Ann Agent" });
      const admin = await openAs(browser, server, server.user);
      const agent = await openAs(browser, server, ann);
      const errors: string[] = [];
      for (const page of [admin, agent]) page.on("pageerror", (e) => errors.push(e.message));
      const id = await fetchedLeadId(server, (await sendLead({ fullName: "Cleo Claimable" })).id);
      for (const page of [admin, agent]) {
        const row = page.locator(`[data-lead-id="${id}"]`);
        await row.locator(".lead-owner", { hasText: "Owner: Unassigned" }).waitFor({
          timeout: 15_000,
        });
        await page.evaluate(() => (globalThis as unknown as { kept: boolean }).kept = true);
      }
      // The new-lead toast offers Claim too; the agent uses the row's button.
      await agent.locator("[data-toast] [data-action=claim]").first().waitFor();
      await agent.locator(`[data-lead-id="${id}"] [data-action=claim]`).click();

      await admin.locator(`[data-lead-id="${id}"][data-owner="${ann.id}"]`).waitFor({
        timeout: 15_000,
      });
      assert.equal(
        await admin.locator(`[data-lead-id="${id}"] .lead-owner`).textContent(),
        "Owner: Ann Agent",
      );
      assert.equal(await admin.locator(`[data-lead-id="${id}"] [data-action=claim]`).count(), 0);
      await agent.locator(`[data-lead-id="${id}"] .lead-owner`, { hasText: "Owner: You" })
        .waitFor();
      for (const page of [admin, agent]) {
        assert.ok(
          await page.evaluate(() => (globalThis as unknown as { kept: boolean }).kept),
          "no reload",
        );
      }
      assert.equal((await server.app.services.leads.getLead(id))?.ownerId, ann.id);

      // The admin, too late, gets told who has it (the API's 409), and the lead stays Ann's.
      const late = await server.fetch(`/api/leads/${id}/claim`, { method: "POST" });
      assert.equal(late.status, 409);
      assert.deepEqual((await late.json()).owner, { id: ann.id, name: "Ann Agent" });

      // Ann logs a call on the lead page; the admin's dashboard counts it live.
      await agent.goto(`${server.url}/leads/${id}`);
      await agent.selectOption("#activity-outcome", "no_answer");
      await agent.fill("#activity-text", "<b>rang twice</b>");
      await agent.getByRole("button", { name: "Log it" }).click();
      await agent.waitForURL(`${server.url}/leads/${id}`);
      await agent.locator("[data-timeline] li", {
        hasText: "call: no answer: <b>rang twice</b> · by Ann Agent",
      })
        .waitFor();
      await admin.locator(`[data-lead-id="${id}"] .lead-calls`, { hasText: "1 call" }).waitFor({
        timeout: 15_000,
      });
      assert.deepEqual(errors, []);
    });
  },
);

browserTest(
  "[e2e] work - the waiting clock on a new row turns amber, then red (injected clock)",
  async (browser) => {
    await withDashboard(browser, async ({ server }) => {
      const now = Date.now();
      const older = newManualLead({
        source: "phone",
        fullName: "Wendy Waiting",
        phone: "+15555550177",
        createdTime: new Date(now - 6 * 60_000).toISOString(),
      }, new Date(now - 6 * 60_000));
      const fresh = newManualLead({
        source: "walk-in",
        fullName: "Fred Fresh",
        phone: "+15555550178",
      }, new Date(now));
      await server.app.services.leads.insertLeads([older, fresh]);
      const page = await openAs(
        browser,
        server,
        server.user,
        "/",
        (p) => p.clock.install({ time: now }),
      );
      const clock = (id: string) => page.locator(`[data-lead-id="${id}"] .lead-clock`);
      await page.locator(`[data-lead-id="${older.id}"] [data-clock="amber"]`).waitFor();
      assert.match(await clock(older.id).textContent() ?? "", /^Waiting 6 min$/);
      assert.equal(await clock(fresh.id).getAttribute("data-clock"), "ok");

      await page.clock.fastForward("05:00");
      await page.locator(`[data-lead-id="${fresh.id}"] [data-clock="amber"]`).waitFor();
      await page.clock.fastForward("05:00");
      await page.locator(`[data-lead-id="${older.id}"] [data-clock="red"]`).waitFor();
      assert.match(await clock(older.id).textContent() ?? "", /^Waiting 16 min$/);
      // The colour is not the only signal: the words say how long, and it stops once contacted.
      await page.locator(`[data-lead-id="${older.id}"]`).getByRole("button", {
        name: "Mark contacted",
      }).click();
      await page.locator(`[data-lead-id="${older.id}"][data-status="contacted"]`).waitFor();
      assert.equal(await clock(older.id).count(), 0);
    });
  },
);

browserTest(
  "[e2e] work - the Due view lists a follow-up that has come due; it works without JavaScript",
  async (browser) => {
    await withDashboard(browser, async ({ server }) => {
      const add = async (fullName: string) => {
        const res = await server.fetch("/api/leads", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ fullName, phone: "+15555550190", source: "phone" }),
        });
        return (await res.json()).id as string;
      };
      const due = await add("Dora Due");
      const later = await add("Larry Later");
      await add("Nora Nothing");
      const activity = (id: string, followUpAt: string) =>
        server.fetch(`/api/leads/${id}/activities`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ kind: "call", outcome: "voicemail", followUpAt }),
        });
      assert.equal(
        (await activity(due, new Date(Date.now() - 30 * 60_000).toISOString())).status,
        201,
      );
      assert.equal(
        (await activity(later, new Date(Date.now() + 3 * 864e5).toISOString())).status,
        201,
      );

      const page = await openAs(browser, server, server.user);
      await page.getByRole("link", { name: "Due today", exact: true }).click();
      await page.waitForURL(`${server.url}/?view=due`);
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      const names = await page.locator(".lead-name").allTextContents();
      assert.deepEqual(names, ["Dora Due"]);
      await page.locator(`[data-lead-id="${due}"] .lead-follow-up-due`).waitFor();

      const context = await browser.newContext({ javaScriptEnabled: false });
      try {
        const plain = await context.newPage();
        await context.addCookies([{
          name: SESSION_COOKIE,
          value: server.user.sessionId,
          url: server.url,
        }]);
        await plain.goto(`${server.url}/?view=due`);
        assert.deepEqual(await plain.locator(".lead-name").allTextContents(), ["Dora Due"]);
        assert.equal(await plain.locator('[data-view="due"]').getAttribute("aria-current"), "page");
      } finally {
        await context.close();
      }
    });
  },
);

browserTest(
  "[e2e] work - a burst's toast offers Claim next: the lead of the burst waiting longest, then the next",
  async (browser) => {
    await withDashboard(browser, async ({ server, sendLead, openDashboard, pageErrors }) => {
      const page = await openDashboard();
      const toast = page.locator("[data-toast]");
      // One at a time, each in the toast before the next, so the order they arrived is known.
      const ids: string[] = [];
      for (const fullName of ["Una First", "Dev Second", "Tia Third"]) {
        ids.push(await fetchedLeadId(server, (await sendLead({ fullName })).id));
        await page.locator(`[data-toast][data-leads="${ids.length}"]`).waitFor({ timeout: 15_000 });
      }
      assert.equal(await toast.count(), 1);
      const claim = toast.locator("[data-action=claim]");
      assert.equal(await claim.count(), 1, "one Claim per toast, so it stays two lines high");
      assert.equal(await claim.textContent(), "Claim next");
      // Its name says which lead it takes: the one that has waited longest.
      await page.locator(`[data-toast] [data-claim-lead="${ids[0]}"]`).waitFor();
      assert.equal(
        await claim.getAttribute("aria-label"),
        "Claim next: Una First, waiting longest of these",
      );

      await claim.click();
      await page.locator(`[data-lead-id="${ids[0]}"] .lead-owner`, { hasText: "Owner: You" })
        .waitFor({ timeout: 15_000 });
      // The button moves on to the next lead nobody owns.
      await page.locator(`[data-toast] [data-claim-lead="${ids[1]}"]`).waitFor({ timeout: 15_000 });
      assert.equal((await server.app.services.leads.getLead(ids[0]))?.ownerId, server.user.id);
      assert.equal((await server.app.services.leads.getLead(ids[1]))?.ownerId ?? null, null);
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] work - the lead page's activity form: no field runs under another (375, 800, 1280 px)",
  async (browser) => {
    await withDashboard(browser, async ({ server, sendLead }) => {
      const id = await fetchedLeadId(server, (await sendLead({ fullName: "Fern Form" })).id);
      const page = await openAs(browser, server, server.user);
      await page.goto(`${server.url}/leads/${id}`);
      for (const width of [375, 800, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        const boxes = await page.locator(
          "[data-activity-form] select, [data-activity-form] textarea, [data-activity-form] input:not([type=hidden]), [data-activity-form] button",
        ).evaluateAll((els) =>
          els.map((el) => {
            const r = el.getBoundingClientRect();
            return {
              name: el.id || el.textContent!.trim(),
              x: r.x,
              y: r.y,
              w: r.width,
              h: r.height,
            };
          })
        );
        assert.equal(boxes.length, 5);
        for (const a of boxes) {
          for (const b of boxes) {
            if (a === b) continue;
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
              b.y < a.y + a.h;
            assert.ok(!overlap, `${width} px: ${a.name} runs under ${b.name}`);
          }
        }
      }
    });
  },
);
