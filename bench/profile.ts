// Where each millisecond of a delivery goes. Two views, both recorded in BENCHMARKS.md:
//  1. Stages at concurrency 1, in process, on a temp-file KV and the Graph simulator: each step a
//     single-lead delivery goes through, timed alone (median and p90 over ROUNDS deliveries).
//  2. A CPU profile (`deno run --cpu-prof main.ts`) of the real server taking PROFILE_N deliveries
//     from the load generator at concurrency 32, its main-thread time grouped by stage.
//
// Run: deno task bench:profile   (writes bench/results/profile.json)

import { analyzeCpuProfile } from "./_cpuprofile.ts";
import { runStages } from "./_stages.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  leadlineEnv,
  machineInfo,
  prepareDelivery,
  progress,
  runLoadProcess,
  startLeadline,
  stopServer,
  uptime,
  writeResult,
} from "./_shared.ts";
import { startGraphSimulator } from "../lib/graph_sim/mod.ts";

const ROUNDS = Number(Deno.env.get("PROFILE_ROUNDS") ?? 300);
const PROFILE_N = Number(Deno.env.get("PROFILE_N") ?? 3000);
const OUTPUT = Deno.env.get("PROFILE_OUTPUT") ?? "profile";

const machine = await machineInfo();
progress(`stages at concurrency 1, ${ROUNDS} deliveries`);
const stages = await runStages(ROUNDS);
for (const stage of stages.stages) {
  progress(`  ${stage.stage.padEnd(28)} p50 ${stage.p50Ms} ms  p90 ${stage.p90Ms} ms`);
}

progress(`CPU profile of the server under load: ${PROFILE_N} deliveries at concurrency 32`);
const sim = await startGraphSimulator({
  appSecret: APP_SECRET,
  accessToken: ACCESS_TOKEN,
  seed: 4,
});
const dir = await Deno.makeTempDir({ prefix: "leadline_bench_profile_" });
const profDir = `${dir}/prof`;
let cpu;
let load;
try {
  const server = await startLeadline(leadlineEnv(`${dir}/leadline.kv`, sim), {
    args: ["run", "-A", "--cpu-prof", `--cpu-prof-dir=${profDir}`, "main.ts"],
  });
  try {
    for (const count of [300, PROFILE_N]) {
      const leads = Array.from({ length: count }, () => sim.createLead());
      const prepared = await Promise.all(
        leads.map((lead) => prepareDelivery(sim.webhookBody([lead]))),
      );
      const before = sim.calls("lead");
      const started = performance.now();
      const { ok: _ok, ...figures } = await runLoadProcess(prepared, server.url + "/webhook", 32);
      const deadline = Date.now() + 120_000;
      while (sim.calls("lead") - before < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      load = {
        ...figures,
        allFetchedAfterMs: Math.round(performance.now() - started),
        uptime: await uptime(),
      };
    }
  } finally {
    await stopServer(server);
  }
  const [file] = [...Deno.readDirSync(profDir)].map((entry) => `${profDir}/${entry.name}`);
  cpu = analyzeCpuProfile(JSON.parse(await Deno.readTextFile(file)), PROFILE_N + 300);
  progress(`  main thread busy ${cpu.busyMs} ms of ${cpu.wallMs} ms; per delivery:`);
  for (const stage of cpu.stages) {
    progress(`  ${stage.stage.padEnd(28)} ${stage.usPerDelivery} µs (${stage.percentOfBusy}%)`);
  }
} finally {
  await sim.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

await writeResult(OUTPUT, {
  machine,
  command: "deno task bench:profile",
  stages,
  cpuProfile: { deliveries: PROFILE_N + 300, load, ...cpu },
});
