// An unusable KV_PATH stops the server and the user CLI with one line naming KV_PATH, no stack.

import assert from "node:assert/strict";
import { KvOpenError, openKv } from "../../lib/kv_open.ts";
import { baseEnv, ROOT } from "../_helpers/server_process.ts";

const MAIN = new URL("main.ts", ROOT).pathname;
const CLI = new URL("scripts/users.ts", ROOT).pathname;

/**
 * Root passes every permission check through CAP_DAC_OVERRIDE, so a file with mode 000 would
 * open fine. `setpriv` drops that capability (and CAP_DAC_READ_SEARCH) for the child only: it is
 * still root, but the file's mode now applies to it, as it would to the service's own user.
 */
const AS_ROOT = Deno.uid() === 0;
const SETPRIV = await which("setpriv");

async function which(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile) return `${dir}/${name}`;
    } catch {
      // not in this folder
    }
  }
  return null;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  script: string,
  args: string[],
  kvPath: string,
  options: { dropRoot?: boolean } = {},
): Promise<Outcome> {
  const denoArgs = [Deno.execPath(), "run", "-A", script, ...args];
  const [command, ...rest] = options.dropRoot && AS_ROOT
    ? [SETPRIV!, "--bounding-set", "-dac_override,-dac_read_search", ...denoArgs]
    : denoArgs;
  const out = await new Deno.Command(command, {
    args: rest,
    cwd: ROOT,
    env: baseEnv({ KV_PATH: kvPath, PORT: "0", GRAPH_SIMULATOR_PORT: "0", LOG_LEVEL: "info" }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Exit 1, and stderr is one line that names KV_PATH and says `why`; no stack trace. */
function assertOneLine(outcome: Outcome, prefix: string, why: RegExp) {
  assert.equal(outcome.code, 1, `${outcome.stdout}\n${outcome.stderr}`);
  const lines = outcome.stderr.split("\n").filter((line) => line.trim() !== "");
  assert.equal(lines.length, 1, `one line, got:\n${outcome.stderr}`);
  assert.ok(lines[0].startsWith(`${prefix}KV_PATH: `), lines[0]);
  assert.match(lines[0], why);
  assert.doesNotMatch(outcome.stderr, /\n\s+at |Stack backtrace|error: Uncaught/);
  assert.doesNotMatch(outcome.stdout, /"message":"listening"/);
}

async function withBadPaths(
  body: (paths: Record<string, string>, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "leadline-kvpath-" });
  try {
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a database, just some words\n");
    const locked = `${dir}/locked.kv`;
    const readOnly = `${dir}/read-only.kv`;
    for (const path of [locked, readOnly]) {
      const kv = await Deno.openKv(path);
      await kv.set(["x"], 1);
      kv.close();
    }
    await Deno.chmod(locked, 0o000);
    await Deno.chmod(readOnly, 0o444);
    await body({
      missingFolder: `${dir}/no-such-folder/leadline.kv`,
      folder: dir,
      notKv: `${dir}/notes.txt`,
      underAFile: `${dir}/notes.txt/leadline.kv`,
      locked,
      readOnly,
    }, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const CASES: [name: string, why: RegExp][] = [
  ["missingFolder", /the folder \S+no-such-folder does not exist/],
  ["folder", /is a folder; give the path of the KV file inside it/],
  ["notKv", /notes\.txt is not a Deno KV database/],
  ["underAFile", /notes\.txt is not a folder/],
];
const PERMISSION_CASES: [name: string, why: RegExp][] = [
  ["locked", /permission denied opening \S+locked\.kv/],
  ["readOnly", /cannot write to the KV file \S+read-only\.kv/],
];
const CAN_DROP_ROOT = !AS_ROOT || SETPRIV !== null;

Deno.test("[startup] an unusable KV_PATH stops the server: exit 1, one line naming KV_PATH", async () => {
  await withBadPaths(async (paths) => {
    for (const [name, why] of CASES) {
      assertOneLine(await run(MAIN, [], paths[name]), "Cannot start Leadline: ", why);
    }
  });
});

Deno.test({
  name: "[startup] a KV file this user may not read or write stops the server with the reason",
  ignore: !CAN_DROP_ROOT,
  async fn() {
    await withBadPaths(async (paths) => {
      for (const [name, why] of PERMISSION_CASES) {
        const outcome = await run(MAIN, [], paths[name], { dropRoot: true });
        assertOneLine(outcome, "Cannot start Leadline: ", why);
      }
    });
  },
});

Deno.test("[cli] an unusable KV_PATH stops user:list and user:add with one line naming KV_PATH", async () => {
  await withBadPaths(async (paths) => {
    for (const [name, why] of [...CASES, ...(CAN_DROP_ROOT ? PERMISSION_CASES : [])]) {
      const dropRoot = name === "locked" || name === "readOnly";
      const add = await run(CLI, ["add", "--email", "a@example.com", "--name", "A"], paths[name], {
        dropRoot,
      });
      assertOneLine(add, "Cannot add: ", why);
      if (name === "readOnly") continue; // listing only reads: a read-only file is fine for it
      const list = await run(CLI, ["list"], paths[name], { dropRoot });
      assertOneLine(list, "Cannot list: ", why);
    }
  });
});

Deno.test("[kv] openKv creates a missing folder only when asked (the default path)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-kvpath-" });
  try {
    const path = `${dir}/data/leadline.kv`;
    await assert.rejects(() => openKv(path), KvOpenError);
    const kv = await openKv(path, { createFolder: true });
    await kv.set(["works"], true);
    kv.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
