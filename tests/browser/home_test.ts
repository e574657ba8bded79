import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";

browserTest(
  "[e2e] the home page hydrates its island, whose badge follows the live stream",
  async (browser) => {
    const server = await startTestServer();
    try {
      const page = await browser.newPage();
      await signIn(page, server);
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      const streams: string[] = [];
      page.on("request", (req) => {
        if (req.url().includes("/api/events")) streams.push(req.url());
      });
      await page.goto(server.url + "/");
      const badge = page.locator("[data-connection]");
      // Only the hydrated island can leave "connecting": the server renders that state.
      await badge.and(page.locator('[data-connection="live"]')).waitFor({ timeout: 10_000 });
      assert.equal(await badge.textContent(), "Live");
      assert.equal(streams.length, 1, "one event stream");
      assert.match(
        streams[0],
        /\/api\/events\?since=0$/,
        "opened at the cursor the page was read at",
      );
      const styles = await page.evaluate(() => getComputedStyle(document.body).margin);
      assert.equal(styles, "0px", "the stylesheet is applied");
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await server.close();
    }
  },
);
