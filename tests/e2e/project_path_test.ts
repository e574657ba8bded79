import assert from "node:assert/strict";
import { join } from "node:path";
import { copyProject, runDeno as run } from "../_helpers/project_copy.ts";

Deno.test("[project] in a folder whose path has spaces: the build works, KV goes to data/, and a stale build stops start-up", async () => {
  const { dir, cleanup } = await copyProject();
  try {
    const build = await run(dir, ["run", "-A", "scripts/build_islands.ts"]);
    assert.equal(build.code, 0, build.stderr);
    // LiveFragments and PushSettings alone; AddLeadForm, LeadDashboard and LiveFragments as the
    // dashboard's page script.
    assert.match(build.stdout, /Built 2 island and 1 page bundle\(s\)/);
    await Deno.stat(join(dir, "_build", "islands", "manifest.json"));

    const config = await run(dir, [
      "eval",
      'import { loadConfig } from "./lib/config.ts"; console.log(loadConfig({}).kvPath);',
    ]);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(config.stdout.trim(), join(dir, "data", "leadline.kv"));

    const island = join(dir, "islands", "LiveFragments.tsx");
    await Deno.writeTextFile(island, (await Deno.readTextFile(island)) + "\n// edited\n");
    const start = await run(dir, ["run", "-A", "main.ts"], {
      KV_PATH: ":memory:",
      PORT: "0",
      GRAPH_SIMULATOR_PORT: "0",
    });
    assert.equal(start.code, 1, start.stdout + start.stderr);
    assert.match(
      start.stderr,
      /^Cannot start Leadline: Cannot load the island bundles: the build in _build\/islands is out of date: islands\/LiveFragments\.tsx changed; run `deno task build`/m,
    );
    assert.doesNotMatch(start.stderr, /\s+at /, "a message, not a stack trace");
  } finally {
    await cleanup();
  }
});
