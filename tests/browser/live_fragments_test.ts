// Browser: server-rendered parts of a page (the team strip, the sync line) refreshed in place by
// the LiveFragments island, on an injected clock so 30 s pass at once.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { newManualLead } from "../../lib/leads/model.ts";
import type { TestServer } from "../_helpers/app.ts";
import { browserTest } from "../_helpers/browser.ts";
import { waitFor } from "../_helpers/wait.ts";
import { withDashboard } from "./_dashboard.ts";

/** Stores a lead typed in by hand (it counts in today's figures at once). */
async function addLead(server: TestServer, fullName: string): Promise<void> {
  await server.app.services.leads.insertLeads([
    newManualLead({ source: "phone", fullName, phone: "+15555550123" }, new Date()),
  ]);
}

/** Waits until the server counts `leads` leads today, so a refresh has something to show. */
async function untilServerCounts(server: TestServer, leads: number): Promise<void> {
  await waitFor(async () => {
    const res = await server.fetch("/api/stats");
    return (await res.json()).leads === leads;
  }, `the server to count ${leads} leads today`);
}

/** Fragment requests the page makes, by path, as they are sent. */
function fragmentRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on("request", (req) => {
    const path = new URL(req.url()).pathname;
    if (path.startsWith("/fragments/")) paths.push(path);
  });
  return paths;
}

browserTest(
  "[e2e] live fragments - the team strip and the sync line refresh in place; an open per-agent table stays open, with the focus on it",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, pageErrors }) => {
      await addLead(server, "Stella Strip");
      await untilServerCounts(server, 1);
      let requests: string[] = [];
      const page = await openDashboard({
        prepare: (p) => {
          requests = fragmentRequests(p);
          return p.clock.install();
        },
      });
      const strip = page.locator("[data-team-strip]");
      assert.equal(await strip.locator('[data-stat="leads"]').textContent(), "1");
      assert.equal(await strip.getAttribute("data-live-src"), "/fragments/team-strip");
      assert.equal(await strip.getAttribute("data-live-every"), "30000");
      await strip.locator("summary").click();
      await strip.locator("summary").focus();
      await page.locator('[data-team-strip] tr[data-agent=""]', { hasText: "Unassigned" })
        .waitFor();
      // Marks on the nodes: a part put back whole would lose them.
      await page.evaluate(() => {
        for (
          const node of document.querySelectorAll("[data-team-strip], [data-team-strip] summary")
        ) {
          (node as Element & { mark?: boolean }).mark = true;
        }
      });

      await addLead(server, "Stan Strip");
      await untilServerCounts(server, 2);
      await page.clock.fastForward(30_000);
      await page.locator('[data-team-strip] [data-stat="leads"]', { hasText: /^2$/ }).waitFor();
      assert.ok(requests.includes("/fragments/team-strip"));
      assert.deepEqual(
        await page.evaluate(() => {
          const section = document.querySelector("[data-team-strip]") as Element & {
            mark?: boolean;
          };
          const summary = section.querySelector("summary") as Element & { mark?: boolean };
          return {
            open: section.querySelector("details")!.open,
            focused: document.activeElement === summary,
            sameNodes: section.mark === true && summary.mark === true,
          };
        }),
        { open: true, focused: true, sameNodes: true },
        "the per-agent table stays open, focused, and the same nodes",
      );
      assert.match(
        await page.locator('[data-team-strip] tr[data-agent=""]').innerText(),
        /^Unassigned\s+2\b/,
      );

      // The sync line: a sync run elsewhere (the cron, another dashboard) shows within 20 s.
      const line = page.locator("[data-sync]");
      assert.equal(await line.getAttribute("data-sync"), "never");
      assert.equal(await line.getAttribute("data-live-every"), "20000");
      await server.app.services.reconciler.requestSync({ trigger: "manual" });
      await page.clock.fastForward(20_000);
      await page.locator('[data-sync="done"]').waitFor();
      assert.match(await line.innerText(), /^Last sync with Meta just now: /);
      assert.deepEqual(pageErrors, []);

      // Reports shows the strip alone, and keeps it live too.
      await page.goto(`${server.url}/reports`);
      const reportStrip = page.locator("[data-team-strip]");
      assert.equal(await reportStrip.locator('[data-stat="leads"]').textContent(), "2");
      assert.equal(
        await page.locator('script[src^="/_islands/LiveFragments-"]').count(),
        1,
        "the page loads the island that refreshes it",
      );
      await addLead(server, "Stu Strip");
      await untilServerCounts(server, 3);
      await page.clock.fastForward(30_000);
      await page.locator('[data-team-strip] [data-stat="leads"]', { hasText: /^3$/ }).waitFor();
      assert.deepEqual(pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] live fragments - the fragment sets the pace; a failed refresh keeps the part; signed out, the refreshing stops quietly",
  async (browser) => {
    await withDashboard(browser, async ({ server, openDashboard, pageErrors }) => {
      let requests: string[] = [];
      const page = await openDashboard({
        prepare: (p) => {
          requests = fragmentRequests(p);
          return p.clock.install();
        },
      });
      const line = page.locator("[data-sync]");
      const before = await line.evaluate((el) => el.outerHTML);

      // While a sweep runs the server asks for a refresh every 1.5 s, and the page follows.
      const running = before
        .replace('data-sync="never"', 'data-sync="running"')
        .replace('data-live-every="20000"', 'data-live-every="1500"')
        .replace("Not synced with Meta yet.", "Syncing with Meta: 1 of 2 forms, 0 leads found");
      await page.route(
        "**/fragments/sync-status",
        (route) =>
          route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: running }),
      );
      await page.clock.fastForward(20_000);
      await page.locator('[data-sync="running"]').waitFor();
      const once = requests.filter((path) => path === "/fragments/sync-status").length;
      await page.clock.fastForward(1_500);
      await waitFor(
        () => requests.filter((path) => path === "/fragments/sync-status").length > once,
        "a refresh 1.5 s later",
      );
      await page.unroute("**/fragments/sync-status");

      // Offline: the part keeps what it showed, and the next refresh tries again.
      let failed = 0;
      await page.route("**/fragments/team-strip", (route) => {
        failed++;
        return route.abort("internetdisconnected");
      });
      const strip = await page.locator("[data-team-strip]").evaluate((el) => el.outerHTML);
      await page.clock.fastForward(30_000);
      await waitFor(() => failed === 1, "the refresh to fail");
      assert.equal(await page.locator("[data-team-strip]").evaluate((el) => el.outerHTML), strip);
      await page.unroute("**/fragments/team-strip");
      await addLead(server, "Olga Offline");
      await untilServerCounts(server, 1);
      await page.clock.fastForward(30_000);
      await page.locator('[data-team-strip] [data-stat="leads"]', { hasText: /^1$/ }).waitFor();

      // Signed out (here: the cookie is gone): each part's next request is turned away (303 to
      // the sign-in page), and then no part asks again, even when Sync is pressed.
      const turnedAway = new Set<string>();
      page.on("response", (res) => {
        const path = new URL(res.url()).pathname;
        if (path.startsWith("/fragments/") && res.status() === 303) turnedAway.add(path);
      });
      await page.context().clearCookies();
      const shown = await page.locator("[data-team-strip]").evaluate((el) => el.outerHTML);
      await page.clock.fastForward(30_000);
      await waitFor(() => turnedAway.size === 2, "both parts' requests to be turned away");
      const asked = requests.length;
      await page.locator('[data-action="sync"]').click();
      for (let i = 0; i < 4; i++) await page.clock.fastForward(30_000);
      // A request sent after them all: any refresh asked for meanwhile was sent before it.
      await page.evaluate(() => fetch("/health").then((res) => res.status));
      assert.equal(requests.length, asked, "no part asks again once signed out");
      assert.equal(await page.locator("[data-team-strip]").evaluate((el) => el.outerHTML), shown);
      assert.equal(await page.locator("[data-sync]").count(), 1, "the sync line stays");
      assert.deepEqual(pageErrors, []);
    });
  },
);
