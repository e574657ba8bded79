import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { join } from "node:path";
import { copyProject } from "../_helpers/project_copy.ts";

/** Reads a child's output as it comes, so a test can wait for a line with a deadline. */
function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  })().catch(() => {});
  return {
    get text() {
      return text;
    },
    done,
    /** Waits until `pattern` matches the n-th time (1-based); returns that match. */
    async waitFor(pattern: RegExp, nth: number, timeoutMs = 60_000): Promise<RegExpMatchArray> {
      try {
        return await waitFor(
          () => {
            const matches = [...text.matchAll(new RegExp(pattern.source, "g"))];
            return matches.length >= nth && matches[nth - 1];
          },
          `${pattern} (#${nth})`,
          { timeoutMs, intervalMs: 50 },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; output so far:\n${text}`);
      }
    },
  };
}

async function islandFile(dir: string, name: string): Promise<string> {
  const manifest = JSON.parse(
    await Deno.readTextFile(join(dir, "_build", "islands", "manifest.json")),
  );
  return manifest.islands[name];
}

Deno.test("[dev] deno task dev builds, serves, and rebuilds and restarts when an island changes", async () => {
  const { dir, cleanup } = await copyProject();
  const task: string = JSON.parse(await Deno.readTextFile(join(dir, "deno.json"))).tasks.dev;
  const [program, ...args] = task.split(" ");
  assert.equal(program, "deno");
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: dir,
    env: {
      NO_COLOR: "1",
      PORT: "0",
      KV_PATH: ":memory:",
      GRAPH_SIMULATOR_PORT: "0",
      LOG_LEVEL: "info",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const listening = /"message":"listening","url":"(http:\/\/[^"]+)\/"/;
  try {
    const first = (await stdout.waitFor(listening, 1))[1];
    const before = await islandFile(dir, "PushSettings");
    const served = await fetch(`${first}/_islands/${before}`);
    assert.equal(served.status, 200);
    await served.body?.cancel();

    const island = join(dir, "islands", "PushSettings.tsx");
    const source = await Deno.readTextFile(island);
    await Deno.writeTextFile(
      island,
      source.replace("Notifications are off for", "Notifications are now off for"),
    );

    const second = (await stdout.waitFor(listening, 2))[1];
    const after = await islandFile(dir, "PushSettings");
    assert.notEqual(after, before, "the island was rebuilt");
    const rebuilt = await fetch(`${second}/_islands/${after}`);
    assert.equal(rebuilt.status, 200, "the restarted server serves the new bundle");
    assert.match(await rebuilt.text(), /Notifications are now off for this device\./);
    const old = await fetch(`${second}/_islands/${before}`);
    assert.equal(old.status, 404);
    await old.body?.cancel();
  } catch (err) {
    throw new Error(`${(err as Error).message}\nstderr:\n${stderr.text}`);
  } finally {
    // Ctrl-C, as a developer stops it; SIGTERM only ends the server and the watcher waits on.
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await child.status;
    clearTimeout(timer);
    await Promise.all([stdout.done, stderr.done]);
    await cleanup();
  }
});
