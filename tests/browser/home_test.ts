import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";

browserTest(
  "[e2e] the home page hydrates its island, which checks the server by itself",
  async (browser) => {
    const server = await startTestServer();
    try {
      const page = await browser.newPage();
      await signIn(page, server);
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      const health: string[] = [];
      page.on("request", (req) => {
        if (req.url().endsWith("/health")) health.push(req.url());
      });
      await page.goto(server.url + "/");
      const badge = page.locator("[data-connection]");
      // Only the hydrated island can leave "connecting": the server renders that state.
      await badge.and(page.locator('[data-connection="live"]')).waitFor({ timeout: 10_000 });
      assert.equal(await badge.textContent(), "Live");
      const before = health.length;
      await badge.click();
      await page.waitForFunction(
        () =>
          document.querySelector("[data-connection]")?.getAttribute("title")?.startsWith("Last"),
      );
      assert.ok(health.length > before, "clicking the badge checks the server again");
      const styles = await page.evaluate(() => getComputedStyle(document.body).margin);
      assert.equal(styles, "0px", "the stylesheet is applied");
      assert.deepEqual(errors, []);
    } finally {
      await server.close();
    }
  },
);
