// Test fixtures: a copy of the app's sources in a temp folder whose path has spaces, and a runner.

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set([".git", "_build", "data", "node_modules", "tests", "bench"]);

/** A copy of the project; `dir` is its root. */
export interface ProjectCopy {
  dir: string;
  cleanup(): Promise<void>;
}

/** Copies the app's sources (no tests, builds or data) into `<temp>/leadline path …/my project`. */
export async function copyProject(): Promise<ProjectCopy> {
  const parent = await Deno.makeTempDir({ prefix: "leadline path " });
  const dir = join(parent, "my project");
  await copyDir(PROJECT, dir, true);
  return { dir, cleanup: () => Deno.remove(parent, { recursive: true }) };
}

async function copyDir(from: string, to: string, top: boolean): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (top && SKIP.has(entry.name)) continue;
    if (entry.isDirectory) await copyDir(join(from, entry.name), join(to, entry.name), false);
    else if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

/** Runs `deno <args>` in `cwd` to the end; returns its exit code and output. */
export async function runDeno(cwd: string, args: string[], env: Record<string, string> = {}) {
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
