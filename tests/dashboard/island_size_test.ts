import assert from "node:assert/strict";
import { loadIslandBundles } from "../../lib/islands/bundles.ts";

Deno.test("[islands] the LeadDashboard bundle stays within 15 KB gzip", async () => {
  const bundle = (await loadIslandBundles(["LeadDashboard"])).get("LeadDashboard")!;
  const gzipped = new Blob([bundle.body]).stream().pipeThrough(new CompressionStream("gzip"));
  const size = (await new Response(gzipped).arrayBuffer()).byteLength;
  assert.ok(size <= 15 * 1024, `LeadDashboard is ${size} bytes gzip, over 15 KB`);
});
