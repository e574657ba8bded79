// `deno task dev`: builds the island bundles, then serves; `deno run --watch` reruns both on a change.

import { serve } from "../main.ts";
import { buildIslands } from "./build_islands.ts";

const started = performance.now();
const { manifest, files } = await buildIslands();
console.log(
  `Built ${Object.keys(manifest.islands).length} island bundle(s) into ${files.length} file(s) ` +
    `in ${Math.round(performance.now() - started)} ms`,
);
await serve();
