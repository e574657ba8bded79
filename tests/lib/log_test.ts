// The default logger writes to stdout without blocking: a process whose stdout nobody reads goes
// on working, and every line arrives, in order, once the reader catches up or the process exits.
import assert from "node:assert/strict";

const LOGGER = new URL("../../lib/log.ts", import.meta.url).href;

/** Runs `code` in a child whose stdout is piped but not read until `stderr` says "done". */
async function runWithStalledStdout(code: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  const deadline = Date.now() + 30_000;
  while (!stderr.includes("done")) {
    const timer = new Promise<"timeout">((resolve) =>
      setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()))
    );
    const next = await Promise.race([errors.read(), timer]);
    if (next === "timeout" || next.done) break;
    stderr += next.value;
  }
  const reachedDone = stderr.includes("done");
  // Now read stdout: the child may finish its writes and exit.
  const stdout = await new Response(child.stdout).text();
  await errors.cancel();
  const status = await child.status;
  return { reachedDone, stderr, stdout, status };
}

Deno.test("[log] a stdout nobody reads does not stop the logging process; no line is lost", async () => {
  // 2,000 lines of about 300 bytes: far more than a pipe holds (64 KiB).
  const result = await runWithStalledStdout(`
    import { createLogger } from ${JSON.stringify(LOGGER)};
    const log = createLogger({ level: "info" });
    for (let i = 0; i < 2000; i++) log.info("line", { i, pad: "x".repeat(250) });
    console.error("done");
  `);
  assert.ok(result.reachedDone, `the child blocked while logging: ${result.stderr}`);
  assert.equal(result.status.code, 0);
  const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 2000, "every line written at exit");
  assert.deepEqual(lines.map((line) => line.i), Array.from({ length: 2000 }, (_, i) => i));
  assert.equal(lines[0].message, "line");
});

Deno.test("[log] lines still queued when the process calls Deno.exit are written", async () => {
  const result = await runWithStalledStdout(`
    import { createLogger } from ${JSON.stringify(LOGGER)};
    const log = createLogger({ level: "info" });
    for (let i = 0; i < 50; i++) log.info("before exit", { i });
    console.error("done");
    Deno.exit(0);
  `);
  assert.equal(result.status.code, 0);
  const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((line) => line.i), Array.from({ length: 50 }, (_, i) => i));
});
