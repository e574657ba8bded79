// Settings in a real browser: an admin sees a token's expiry and an unsubscribed page and fixes it
// with Check now (a plain form); an agent's open dashboard shows the alerts live and clears them;
// an agent gets 403 on Settings and no link to it.

import assert from "node:assert/strict";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { startTestServer } from "../_helpers/app.ts";

const DAY_S = 24 * 60 * 60;

browserTest(
  "[e2e] settings - an admin sees a token's expiry and an unsubscribed page; agents see the alerts live, get 403 on Settings",
  async (browser) => {
    const server = await startTestServer();
    const contexts = [];
    try {
      const { services } = server.app;
      const sim = services.simulator!;
      const page0 = sim.pages[0];
      sim.setToken({ expiresAt: Math.floor(Date.now() / 1000) + 5 * DAY_S + 600 });
      sim.unsubscribePage(page0.id);

      const agent = await server.addUser("agent");
      const agentContext = await browser.newContext();
      contexts.push(agentContext);
      const dashboard = await agentContext.newPage();
      await signIn(dashboard, { url: server.url, user: agent });
      await dashboard.goto(server.url + "/");
      await dashboard.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      assert.equal(await dashboard.locator("[data-alerts]").count(), 0);

      // The scheduled check (called directly) raises the alerts; the agent's dashboard shows them.
      await services.metaHealth.check({ trigger: "cron" });
      const unsubscribed = dashboard.locator('[data-alert-kind="page_unsubscribed"]');
      await unsubscribed.waitFor({ timeout: 10_000 });
      assert.match(await unsubscribed.textContent() ?? "", /Page not subscribed \(page \d+\)/);
      await dashboard.locator('[data-alert-kind="token_expiring"]').waitFor({ timeout: 10_000 });

      const adminContext = await browser.newContext();
      contexts.push(adminContext);
      const admin = await adminContext.newPage();
      await signIn(admin, server);
      await admin.goto(server.url + "/");
      await admin.getByRole("link", { name: "Settings" }).click();
      await admin.waitForURL(/\/settings$/);
      const tokenRow = admin.locator('[data-token-label="demo token"]');
      assert.match(await tokenRow.textContent() ?? "", /SYSTEM_USER/);
      assert.match(
        await tokenRow.locator("[data-token-expires]").textContent() ?? "",
        /UTC \(in 5 days\)/,
      );
      const pageRow = admin.locator(`[data-page-id="${page0.id}"]`);
      assert.match(await pageRow.textContent() ?? "", new RegExp(page0.name));
      assert.equal(
        await pageRow.locator("[data-page-subscription]").textContent(),
        "not subscribed to leadgen",
      );

      // The page is subscribed again in Meta; Check now (a plain form) shows it at once.
      sim.subscribePage(page0.id);
      await admin.getByRole("button", { name: "Check now" }).click();
      await admin.waitForURL(/\/settings\?done=checked$/);
      await admin.getByText("Checked Meta just now.").waitFor();
      assert.equal(
        await admin.locator(`[data-page-id="${page0.id}"] [data-page-subscription]`)
          .textContent(),
        "leadgen",
      );
      // And the agent's dashboard drops that alert without a reload.
      await unsubscribed.waitFor({ state: "detached", timeout: 10_000 });
      assert.equal(await dashboard.locator('[data-alert-kind="token_expiring"]').count(), 1);

      assert.equal(await dashboard.getByRole("link", { name: "Settings" }).count(), 0);
      const forbidden = await dashboard.goto(server.url + "/settings");
      assert.equal(forbidden?.status(), 403);
    } finally {
      for (const context of contexts) await context.close().catch(() => {});
      await server.close();
    }
  },
);
