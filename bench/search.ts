// Search and export at scale: 100,000 generated leads in a temp-file KV, the p50/p99 of a filtered
// page for several filter combinations and partial phone and name searches, what the search
// indexes cost per lead, and a CSV export of every lead with the process's memory sampled while
// it streams. Writes bench/results/search.json. `deno task bench:search [leads]`.
// SEARCH_BENCH_KV=path keeps the seeded KV file there and reuses it on the next run (seeding
// 100,000 leads takes minutes); without it a temp file is seeded and removed.

import { EMPTY_FILTER } from "../lib/format/lead_filter.ts";
import { leadsCsv } from "../lib/leads/export_csv.ts";
import { indexEntries } from "../lib/leads/indexes.ts";
import { ulid } from "../lib/ids.ts";
import type { Lead } from "../lib/leads/model.ts";
import { searchLeads } from "../lib/leads/search.ts";
import { createLeadStore } from "../lib/leads/store.ts";
import type { LeadFilter } from "../lib/wire.ts";
import {
  COMMON_FIRST_NAMES,
  GENERATED_CAMPAIGNS,
  GENERATED_FORMS,
  generateLeads,
  seeded,
} from "../tests/_helpers/lead_generator.ts";
import { uptime } from "./_shared.ts";

const LEADS = Number(Deno.args[0] ?? 100_000);
const RUNS = 60;
const DAY = 24 * 60 * 60 * 1000;
const keptPath = Deno.env.get("SEARCH_BENCH_KV");
const dir = keptPath ? null : await Deno.makeTempDir({ prefix: "leadline_search_bench_" });
const kv = await Deno.openKv(keptPath ?? `${dir}/bench.sqlite`);
/** What a kept KV file was seeded with, so a later run searches for the same owners. */
const SEEDED_KEY = ["bench_search", "seeded"];
const seededBefore =
  (await kv.get<{ leads: number; owners: { id: string; name: string }[]; now: number }>(
    SEEDED_KEY,
  )).value;
const reuse = seededBefore !== null && seededBefore.leads === LEADS;
// Every commit the store makes, counted: its mutations, and those KV refused over its limits
// (the store then splits the commit).
const commits = { count: 0, mutations: [] as number[], refusedOverLimits: 0 };
function countedAtomic(): Deno.AtomicOperation {
  const op = kv.atomic();
  let mutations = 0;
  const proxy: Deno.AtomicOperation = new Proxy(op, {
    get(target, name) {
      const value = Reflect.get(target, name);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (name === "set" || name === "delete" || name === "sum") mutations++;
        if (name === "commit") {
          commits.count++;
          commits.mutations.push(mutations);
          return target.commit().catch((error: Error) => {
            if (/Too many|too large/.test(error.message)) commits.refusedOverLimits++;
            throw error;
          });
        }
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}
const counted = new Proxy(kv, {
  get(target, name) {
    if (name === "atomic") return countedAtomic;
    const value = Reflect.get(target, name);
    return typeof value === "function" ? value.bind(target) : value;
  },
});
const store = createLeadStore(counted);
const owners = reuse
  ? seededBefore.owners
  : Array.from({ length: 6 }, (_, i) => ({ id: ulid(), name: `Agent ${i + 1}` }));
const me = owners[0].id;
const now = reuse ? seededBefore.now : Date.now();
const gc = (globalThis as { gc?: () => void }).gc;

// ---- what the indexes cost per lead ---------------------------------------------------------

const sample = generateLeads(2_000, { seed: 99, owners, now, days: 90 });
const keysPerLead = sample.map((lead) => indexEntries(lead).size);
const keysV1 = sample.map((lead) => indexEntries(lead, 1).size);
const bytesPerLead = sample.map((lead) => {
  let bytes = 0;
  for (const { key, value } of indexEntries(lead).values()) {
    bytes += JSON.stringify(key).length + (value?.length ?? 0);
  }
  for (const { key, value } of indexEntries(lead, 1).values()) {
    bytes -= JSON.stringify(key).length + (value?.length ?? 0);
  }
  return bytes;
});
const avg = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10;
const cost = {
  indexKeysPerLead: { average: avg(keysPerLead), max: Math.max(...keysPerLead) },
  addedByIssue11: {
    keysAverage: avg(keysPerLead.map((n, i) => n - keysV1[i])),
    keysMax: Math.max(...keysPerLead.map((n, i) => n - keysV1[i])),
    bytesAverage: Math.round(avg(bytesPerLead)),
    bytesMax: Math.max(...bytesPerLead),
  },
};
console.log("index cost per lead", cost);

// ---- 100,000 leads ----------------------------------------------------------------------------

const insertStart = performance.now();
const CHUNK = 1_000;
if (reuse) console.log(`reusing the ${LEADS} leads seeded in ${keptPath}`);
for (let i = 0; i < (reuse ? 0 : LEADS); i += CHUNK) {
  // Made a chunk at a time, so the generated leads are not held while the export is measured.
  const chunk = generateLeads(Math.min(CHUNK, LEADS - i), {
    seed: 1_000 + i,
    owners,
    now,
    days: 90,
  });
  const result = await store.insertLeads(chunk);
  if (result.failed.length > 0) throw result.failed[0].error;
  if ((i / CHUNK) % 10 === 9) console.log(`inserted ${i + CHUNK}`);
}
if (keptPath && !reuse) await kv.set(SEEDED_KEY, { leads: LEADS, owners, now });
// A reused file keeps the figures of the run that seeded it.
const insertMs = reuse
  ? (await kv.get<number>(["bench_search", "insertMs"])).value ?? 0
  : Math.round(performance.now() - insertStart);
if (keptPath && !reuse) await kv.set(["bench_search", "insertMs"], insertMs);
console.log(`inserted ${LEADS} leads in ${insertMs} ms`);
const sortedMutations = [...commits.mutations].sort((a, b) => a - b);
const seededCommits = {
  commits: commits.count,
  leadsPerCommit: Math.round((LEADS / commits.count) * 10) / 10,
  mutationsPerCommit: {
    average: avg(commits.mutations),
    max: sortedMutations.at(-1),
  },
  refusedOverLimits: commits.refusedOverLimits,
};
const insertCommits = reuse
  ? (await kv.get<typeof seededCommits>(["bench_search", "insertCommits"])).value
  : seededCommits;
if (keptPath && !reuse) await kv.set(["bench_search", "insertCommits"], seededCommits);
console.log("insert commits", insertCommits);

// Leads to search for: a sample read back.
const known: Lead[] = (await store.listLeads({ limit: 500 })).leads;
const random = seeded(5);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(
  name: string,
  filter: () => LeadFilter,
  options: { cursorPages?: number } = {},
) {
  const samples: number[] = [];
  let rows = 0;
  for (let run = 0; run < RUNS + 5; run++) {
    const f = filter();
    let cursor: string | null = null;
    // Deep pages: walk to the page asked for, then time that one.
    for (let page = 0; page < (options.cursorPages ?? 0); page++) {
      cursor = (await searchLeads(kv, store, f, { limit: 50, cursor })).cursor;
    }
    const start = performance.now();
    const page = await searchLeads(kv, store, f, { limit: 50, cursor });
    const ms = performance.now() - start;
    if (run >= 5) samples.push(ms); // the first runs warm up
    rows += page.leads.length;
  }
  samples.sort((a, b) => a - b);
  const result = {
    name,
    p50: Math.round(percentile(samples, 50) * 100) / 100,
    p99: Math.round(percentile(samples, 99) * 100) / 100,
    rowsPerPage: Math.round(rows / (RUNS + 5)),
  };
  console.log(result);
  return result;
}

// The machine is shared: the load average while the pages are timed goes with their figures.
const load = await uptime();
const weekAgo = now - 7 * DAY;
const pages = [
  await measure("no filter, newest first", () => EMPTY_FILTER),
  await measure("status=new", () => ({ ...EMPTY_FILTER, statuses: ["new"] })),
  await measure("owner=me", () => ({ ...EMPTY_FILTER, owners: [me] })),
  await measure(
    "owner=me,none & status=new (mine and unassigned, new)",
    () => ({ ...EMPTY_FILTER, owners: [me, "none"], statuses: ["new"] }),
  ),
  await measure(
    "status=qualified & this week & campaign (the issue's example)",
    () => ({
      ...EMPTY_FILTER,
      statuses: ["qualified"],
      campaignIds: [pick(GENERATED_CAMPAIGNS).id],
      fromMs: weekAgo,
    }),
  ),
  await measure(
    "formId & source=meta & status=won, oldest first",
    () => ({
      ...EMPTY_FILTER,
      formIds: [pick(GENERATED_FORMS).id],
      sources: ["meta"],
      statuses: ["won"],
      sort: "created",
    }),
  ),
  await measure(
    "owner=agent & status=lost & source=sms (rare: few matches)",
    () => ({ ...EMPTY_FILTER, owners: [pick(owners).id], statuses: ["lost"], sources: ["sms"] }),
  ),
  await measure("sort=waiting", () => ({ ...EMPTY_FILTER, sort: "waiting" })),
  await measure("status=new, page 20", () => ({ ...EMPTY_FILTER, statuses: ["new"] }), {
    cursorPages: 19,
  }),
  await measure("q: 6 digits from the middle of a phone", () => {
    const digits = pick(known.filter((l) => l.phone)).phone!.replace(/\D/g, "");
    return { ...EMPTY_FILTER, q: digits.slice(3, 9) };
  }),
  await measure("q: last 4 digits of a phone", () => {
    const digits = pick(known.filter((l) => l.phone)).phone!.replace(/\D/g, "");
    return { ...EMPTY_FILTER, q: digits.slice(-4) };
  }),
  await measure("q: phone as typed, (555) 010-01", () => {
    const d = pick(known.filter((l) => l.phone)).phone!.replace(/\D/g, "");
    return { ...EMPTY_FILTER, q: `(${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7, 9)}` };
  }),
  await measure("q: a made-up first name's start (about 15 leads share the name)", () => {
    const rare = known.filter((l) => !COMMON_FIRST_NAMES.includes(l.fullName!.split(" ")[0]));
    return { ...EMPTY_FILTER, q: pick(rare).fullName!.split(" ")[0].slice(0, 5) };
  }),
  await measure("q: start of a common last name (4 letters; 1 lead in 30 has it)", () => {
    const last = pick(known).fullName!.split(" ")[1].normalize("NFD").replace(/\p{M}/gu, "");
    return { ...EMPTY_FILTER, q: last.slice(0, 4) };
  }),
  await measure("q: first and last name", () => {
    const [first, last] = pick(known).fullName!.split(" ");
    return { ...EMPTY_FILTER, q: `${first} ${last.slice(0, 3)}` };
  }),
  await measure("q: name & status=new & owner=me,none", () => {
    const last = pick(known).fullName!.split(" ")[1];
    return { ...EMPTY_FILTER, q: last.slice(0, 5), statuses: ["new"], owners: [me, "none"] };
  }),
  await measure("q: one letter (too many to hold: checked on the records)", () => ({
    ...EMPTY_FILTER,
    q: pick(["a", "m", "s"]),
  })),
];

// ---- export of every lead, memory sampled -----------------------------------------------------

gc?.();
const rssStart = Deno.memoryUsage().rss;
const rss: { atMs: number; rssMb: number; rows: number }[] = [];
let bytes = 0;
let rowsSeen = 0;
const exportStart = performance.now();
const stream = leadsCsv({ kv, store }, { filter: EMPTY_FILTER }, { timeZone: "Europe/Berlin" });
const sampler = setInterval(() => {
  rss.push({
    atMs: Math.round(performance.now() - exportStart),
    rssMb: Math.round(Deno.memoryUsage().rss / 1e5) / 10,
    rows: rowsSeen,
  });
}, 250);
for await (const chunk of stream) {
  bytes += chunk.byteLength;
  for (const byte of chunk) if (byte === 0x0a) rowsSeen++;
}
clearInterval(sampler);
const exportMs = Math.round(performance.now() - exportStart);
const rssValues = rss.map((s) => s.rssMb);
const exportResult = {
  leads: LEADS,
  ms: exportMs,
  megabytes: Math.round(bytes / 1e5) / 10,
  lines: rowsSeen,
  rssAtStartMb: Math.round(rssStart / 1e5) / 10,
  rssMinMb: Math.min(...rssValues),
  rssMaxMb: Math.max(...rssValues),
  // The samples while rows were streaming: the first quarter against the last.
  rssFirstQuarterMaxMb: Math.max(...rss.slice(0, Math.ceil(rss.length / 4)).map((s) => s.rssMb)),
  rssLastQuarterMaxMb: Math.max(...rss.slice(-Math.ceil(rss.length / 4)).map((s) => s.rssMb)),
  samples: rss.length,
};
console.log("export", exportResult);

const results = {
  leads: LEADS,
  insertMs,
  insertLeadsPerSecond: Math.round(LEADS / (insertMs / 1000)),
  insertCommits,
  indexCost: cost,
  pageOf50: pages,
  export: exportResult,
  rssSamples: rss.filter((_, i) => i % 4 === 0),
  load,
  measuredAt: new Date().toISOString(),
  machine:
    `${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
};
await Deno.writeTextFile(
  new URL("./results/search.json", import.meta.url),
  JSON.stringify(results, null, 2) + "\n",
);
kv.close();
if (dir) await Deno.remove(dir, { recursive: true });
console.log("wrote bench/results/search.json");
