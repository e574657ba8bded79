import assert from "node:assert/strict";
import { islandGzipSize, loadIslandBundles } from "../../lib/islands/bundles.ts";

Deno.test("[islands] the LeadDashboard island, with its shared chunks, stays within 15 KB gzip", async () => {
  const bundle = (await loadIslandBundles(["LeadDashboard"])).get("LeadDashboard")!;
  const size = await islandGzipSize(bundle);
  assert.ok(size <= 15 * 1024, `LeadDashboard is ${size} bytes gzip, over 15 KB`);
});
