// Runs the fault suites (`deno task test:faults`) and records what each reported, its outcome and
// the run's time, for BENCHMARKS.md.
//
// Run: deno task bench:faults   (writes bench/results/faults.json)

import { machineInfo, progress, ROOT, uptime, writeResult } from "./_shared.ts";

const machine = await machineInfo();
progress("running deno task test:faults");
const started = performance.now();
const out = await new Deno.Command(Deno.execPath(), {
  args: ["task", "test:faults"],
  cwd: ROOT,
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const seconds = Math.round((performance.now() - started) / 1000);
const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
// deno test prints "<name> ... ok (12s)" for each test and a final "ok | N passed | N failed".
const tests = [...text.matchAll(/^(\[faults\] .*?) \.\.\. (ok|FAILED) \(([^)]+)\)$/gm)]
  .map(([, name, outcome, time]) => ({ name, outcome, time }));
const reports = text.split("\n").filter((line) =>
  /^(duplicate storm|crash suite|hostile input|slow consumers|storage growth):/.test(line)
);
const summary = /^(ok|FAILED) \| (\d+) passed.*\| (\d+) failed/m.exec(text);
const result = {
  machine,
  command: "deno task test:faults",
  seconds,
  passed: Number(summary?.[2] ?? 0),
  failed: summary ? Number(summary[3]) : 1,
  tests,
  reports,
  uptime: await uptime(),
};
progress(`fault suites: ${result.passed} passed, ${result.failed} failed in ${seconds} s`);
await writeResult("faults", result);
if (!out.success) Deno.exit(1);
