import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set([".git", "_build", "data", "node_modules", "tests", "bench"]);

/** Copies the app's sources (no tests, builds or data) into `dir`. */
async function copyProject(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (SKIP.has(entry.name) && from === PROJECT) continue;
    if (entry.isDirectory) await copyProject(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

async function run(cwd: string, args: string[], env: Record<string, string> = {}) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

Deno.test("[project] in a folder whose path has spaces: the build works, KV goes to data/, and a stale build stops start-up", async () => {
  const parent = await Deno.makeTempDir({ prefix: "leadline path " });
  const dir = join(parent, "my project");
  try {
    await copyProject(PROJECT, dir);
    const build = await run(dir, ["run", "-A", "scripts/build_islands.ts"]);
    assert.equal(build.code, 0, build.stderr);
    assert.match(build.stdout, /Built 3 island bundle\(s\)/);
    await Deno.stat(join(dir, "_build", "islands", "manifest.json"));

    const config = await run(dir, [
      "eval",
      'import { loadConfig } from "./fresh.config.ts"; console.log(loadConfig({}).kvPath);',
    ]);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(config.stdout.trim(), join(dir, "data", "leadline.kv"));

    const island = join(dir, "islands", "SyncStatus.tsx");
    await Deno.writeTextFile(island, (await Deno.readTextFile(island)) + "\n// edited\n");
    const start = await run(dir, ["run", "-A", "main.ts"], {
      KV_PATH: ":memory:",
      PORT: "0",
      GRAPH_SIMULATOR_PORT: "0",
    });
    assert.equal(start.code, 1, start.stdout + start.stderr);
    assert.match(
      start.stderr,
      /^Cannot start Leadline: Cannot load the island bundles: the build in _build\/islands is out of date: islands\/SyncStatus\.tsx changed; run `deno task build`/m,
    );
    assert.doesNotMatch(start.stderr, /\s+at /, "a message, not a stack trace");
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
