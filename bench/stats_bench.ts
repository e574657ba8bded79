// Team statistics speed: `readTeamStats` for today and 7 days over 20,000 leads on a temp-file KV,
// against a scan of every lead (what the aggregates spare each request). Writes bench/results/stats.json.

import { newManualLead } from "../lib/leads/model.ts";
import type { Lead } from "../lib/leads/model.ts";
import { createLeadStore } from "../lib/leads/store.ts";
import { readTeamStats, readWaitingNow } from "../lib/stats/team_stats.ts";

const LEADS = Number(Deno.args[0] ?? 20_000);
const DAY = 24 * 60 * 60 * 1000;
const dir = await Deno.makeTempDir({ prefix: "leadline_stats_bench_" });
const kv = await Deno.openKv(`${dir}/bench.sqlite`);
const store = createLeadStore(kv);
const owners = [
  "01J000000000000000000OWNA1",
  "01J000000000000000000OWNB2",
  "01J000000000000000000OWNC3",
];
const now = Date.now();
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

function lead(i: number): Lead {
  const created = now - Math.floor(random() * 7 * DAY);
  const base = newManualLead(
    {
      source: "phone",
      fullName: `Bench ${i}`,
      phone: `+1555${String(i).padStart(7, "0")}`,
      createdTime: new Date(created).toISOString(),
    },
    new Date(created),
  );
  const owner = random() < 0.9 ? owners[i % owners.length] : null;
  const contacted = random() < 0.8;
  const contactAt = new Date(Math.min(now, created + Math.floor(random() * 30 * 60_000)));
  return {
    ...base,
    ownerId: owner,
    ownerName: owner ? `Owner ${owner.slice(-1)}` : null,
    assignedAt: owner ? base.createdTime : null,
    status: contacted ? "contacted" : "new",
    firstContactAt: contacted ? contactAt.toISOString() : null,
  };
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(samples.length / 2)] * 100) / 100;
}

const insertStart = performance.now();
for (let i = 0; i < LEADS; i += 500) {
  await store.insertLeads(Array.from({ length: Math.min(500, LEADS - i) }, (_, j) => lead(i + j)));
}
const insertMs = Math.round(performance.now() - insertStart);
const dayStart = now - (now % DAY);
const today = await time(50, () => readTeamStats(kv, { from: dayStart, to: now }));
const week = await time(50, () => readTeamStats(kv, { from: now - 7 * DAY, to: now }));
const waiting = await time(50, () => readWaitingNow(kv));
const scan = await time(3, async () => {
  let n = 0;
  for await (const _ of kv.list({ prefix: ["leads"] })) n++;
  return n;
});
const stats = await readTeamStats(kv, { from: now - 7 * DAY, to: now });
const result = {
  leads: LEADS,
  insertAllMs: insertMs,
  medianMs: { statsToday: today, stats7Days: week, waitingNow: waiting, scanEveryLead: scan },
  check: { leads: stats.leads, contacted: stats.contacted, exact: stats.exact },
  measuredAt: new Date().toISOString(),
  machine: `${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno}`,
};
console.log(JSON.stringify(result, null, 2));
await Deno.writeTextFile(
  new URL("./results/stats.json", import.meta.url),
  JSON.stringify(result, null, 2) + "\n",
);
kv.close();
await Deno.remove(dir, { recursive: true });
