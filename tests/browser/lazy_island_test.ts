import assert from "node:assert/strict";
import { BUNDLE_PREFIX, loadIslandBundles } from "../../lib/islands/bundles.ts";
import { loadStaticAssets, serveStatic } from "../../lib/web/static.ts";
import { browserTest } from "../_helpers/browser.ts";
import { createIslandFixture, HEAVY_TEXT } from "../_helpers/island_fixture.ts";

browserTest(
  "[e2e] an island that uses import() hydrates and loads its lazy chunk in Chromium",
  async (browser) => {
    const fixture = await createIslandFixture();
    const { manifest } = await fixture.build();
    const build = await loadIslandBundles(["Lazy", "Plain"], {
      dir: fixture.outDir,
      root: fixture.root,
    });
    const assets = await loadStaticAssets(new URL("../../static/", import.meta.url), build);
    const lazy = build.islands.get("Lazy")!;
    // The markup the server renders for <Lazy label="Load more" />, as lib/islands/ssr.ts does.
    const page = "<!DOCTYPE html><html><head>" +
      lazy.chunks.map((c) => `<link rel="modulepreload" href="${BUNDLE_PREFIX}${c}">`).join("") +
      `<script type="module" src="${BUNDLE_PREFIX}${lazy.file}"></script></head><body>` +
      '<div data-island="Lazy" data-island-id="0"><button type="button">Load more</button></div>' +
      '<script type="application/json" data-island-props="0">{"label":"Load more"}</script>' +
      "</body></html>";
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/") return new Response(page, { headers: { "content-type": "text/html" } });
      return serveStatic(assets, req, path) ?? new Response("not found", { status: 404 });
    });
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on("pageerror", (err) => errors.push(err.message));
      const answers = new Map<string, number>();
      tab.on("response", (res) => answers.set(new URL(res.url()).pathname, res.status()));
      await tab.goto(`http://127.0.0.1:${server.addr.port}/`);
      // Module scripts run before the load event goto waits for, so the island is hydrated now.
      const lazyChunk = [...build.files.keys()].find((f) => f.startsWith("heavy-"));
      assert.ok(lazyChunk);
      assert.equal(answers.has(BUNDLE_PREFIX + lazyChunk), false, "not loaded before it is used");
      await tab.locator("button").click();
      await tab.locator("button", { hasText: HEAVY_TEXT }).waitFor({ timeout: 10_000 });
      assert.equal(answers.get(BUNDLE_PREFIX + lazyChunk), 200, "the lazy chunk is served");
      assert.equal(answers.get(BUNDLE_PREFIX + manifest.islands.Lazy), 200);
      assert.deepEqual(errors, []);
      await tab.close();
    } finally {
      await server.shutdown();
      await fixture.cleanup();
    }
  },
);
