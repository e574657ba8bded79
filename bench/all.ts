// `deno task bench`: every bench part in turn (each its own process), then BENCHMARKS.md.
// A part that fails is reported and the others still run; the exit code says whether all passed.
// Parts: profile, ingest, screen, pages, startup, growth, faults, search (see each file for its
// sizes).

import { progress, ROOT } from "./_shared.ts";

const parts = ["profile", "ingest", "screen", "pages", "startup", "growth", "faults", "search"];
/** Deno flags a part needs (search frees memory before it measures the export's). */
const FLAGS: Record<string, string[]> = { search: ["--v8-flags=--expose-gc"] };
const only = Deno.env.get("BENCH_PARTS")?.split(",").map((part) => part.trim());
const failed: string[] = [];
const started = performance.now();
for (const part of parts.filter((p) => !only || only.includes(p))) {
  progress(`== ${part}`);
  const partStarted = performance.now();
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...(FLAGS[part] ?? []), `bench/${part}.ts`],
    cwd: ROOT,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  const seconds = Math.round((performance.now() - partStarted) / 1000);
  progress(`== ${part}: ${status.success ? "done" : "FAILED"} in ${seconds} s`);
  if (!status.success) failed.push(part);
}
progress("== report");
const report = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "bench/report.ts"],
  cwd: ROOT,
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
if (!report.success) failed.push("report");
progress(
  `all parts in ${Math.round((performance.now() - started) / 60_000)} min` +
    (failed.length ? `; failed: ${failed.join(", ")}` : ""),
);
if (failed.length > 0) Deno.exit(1);
