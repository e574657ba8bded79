// Growth: the first requests of a fresh server process with 1k, 10k and 100k leads stored: a lead
// entered by hand (POST /api/leads, whose duplicate check reads the contact index), a sync (POST
// /api/leads/sync, whose page list reads the pages leads came from), the dashboard (GET /) and
// the first page of leads (GET /api/leads). None of them should take longer as leads pile up.
//
// Run: deno task bench:growth   (writes bench/results/growth.json)
// Sizes: GROWTH_SIZES ("1000,10000,100000"), GROWTH_RUNS (5 fresh processes per size).

import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { contactIndexWrites } from "../lib/leads/contact_index.ts";
import { leadFollowerKey } from "../lib/leads/lead_follower.ts";
import { applyLeadDetails, type Lead, newMetaLead } from "../lib/leads/model.ts";
import { createLeadStore } from "../lib/leads/store.ts";
import { leadBackfillKey } from "../lib/lead_worker.ts";
import { seenPageWrites } from "../lib/reconcile/pages.ts";
import { DERIVED_BACKFILL } from "../lib/services.ts";
import {
  ACCESS_TOKEN,
  APP_SECRET,
  benchSession,
  LEAD_FOLLOWERS,
  leadlineEnv,
  machineInfo,
  progress,
  rssKib,
  type ServerProcess,
  startLeadline,
  stopServer,
  uptime,
  writeResult,
} from "./_shared.ts";

const SIZES = (Deno.env.get("GROWTH_SIZES") ?? "1000,10000,100000").split(",").map(Number);
const RUNS = Number(Deno.env.get("GROWTH_RUNS") ?? 5);
const DAY_MS = 24 * 60 * 60 * 1000;

const machine = await machineInfo();
const sim = await startGraphSimulator({
  appSecret: APP_SECRET,
  accessToken: ACCESS_TOKEN,
  seed: 51,
});
const pageIds = sim.pages.map((page) => page.id);
const dir = await Deno.makeTempDir({ prefix: "leadline_bench_growth_" });

/** One KV file per size, each with its own sign-in. */
interface Store {
  size: number;
  kvPath: string;
  cookie: string;
}

let leadgen = 900_000_000_000_000n;

/** A Meta lead with its details, created within the last 60 days (half inside the index window). */
function seedLead(i: number, now: number): Lead {
  leadgen += 1n;
  const created = now - Math.floor((i * 7_919) % (60 * DAY_MS / 1000)) * 1000 - 60_000;
  const lead = newMetaLead({
    leadgenId: String(leadgen),
    pageId: pageIds[i % pageIds.length],
    formId: "700000000000001",
    adId: null,
    adgroupId: null,
    createdTime: Math.floor(created / 1000),
  }, new Date(now));
  return applyLeadDetails(lead, {
    fullName: `Seeded Lead ${i}`,
    phone: `+1555${String(1_000_000 + i).slice(-7)}`,
    email: `seeded${i}@example.com`,
  }, new Date(now));
}

/**
 * A KV file with `target` leads stored through the lead store wired as the app wires it (the
 * contact index and seen pages in each lead's commit), left as a server that has been running
 * would leave it: every lead follower at the head, the one-off backfills done.
 */
async function seed(target: number): Promise<Store> {
  const kvPath = `${dir}/leadline_${target}.kv`;
  const cookie = await benchSession(kvPath);
  let stored = 0;
  const kv = await Deno.openKv(kvPath);
  try {
    const store = createLeadStore(kv, {
      deriveWrites(op, write) {
        contact(op, write);
        pages(op, write);
      },
    });
    const contact = contactIndexWrites({ defaultCountry: null });
    const pages = seenPageWrites();
    const now = Date.now();
    const started = performance.now();
    while (stored < target) {
      const batch = Array.from(
        { length: Math.min(500, target - stored) },
        (_, j) => seedLead(stored + j, now),
      );
      const result = await store.insertLeads(batch);
      if (result.failed.length > 0) throw result.failed[0].error;
      stored += batch.length;
      if (stored % 10_000 === 0) progress(`  ${stored} leads stored`);
    }
    progress(`  seeded to ${stored} in ${Math.round((performance.now() - started) / 1000)} s`);
    await store.indexStoredLeads();
    const head = await store.getChangeHead();
    for (const name of LEAD_FOLLOWERS) await kv.set(leadFollowerKey(name), head);
    await kv.set(leadBackfillKey(DERIVED_BACKFILL), true);
  } finally {
    kv.close();
  }
  return { size: target, kvPath, cookie };
}

/** One request's ms and status. */
async function timed(
  server: ServerProcess,
  cookie: string,
  path: string,
  init: RequestInit = {},
) {
  const started = performance.now();
  const res = await fetch(server.url + path, {
    ...init,
    headers: { cookie, origin: server.url, ...(init.headers ?? {}) },
  });
  const body = await res.text();
  const ms = Math.round((performance.now() - started) * 10) / 10;
  if (res.status >= 400) {
    throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${body}`);
  }
  return { ms, status: res.status };
}

interface Sample {
  manualLeadMs: number;
  syncMs: number;
  dashboardMs: number;
  leadsPageMs: number;
  rssKib: number | null;
}

/** A fresh server process on the seeded KV and its first request of each kind. */
async function measureOnce({ kvPath, cookie, size }: Store, run: number): Promise<Sample> {
  const server = await startLeadline(
    leadlineEnv(kvPath, sim, { SYNC_MIN_INTERVAL_SECONDS: "0" }),
  );
  try {
    const manual = await timed(server, cookie, "/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      // A phone of a seeded Meta lead: the duplicate check finds it through the contact index.
      body: JSON.stringify({
        source: "phone",
        fullName: `Walk In ${run}`,
        phone: "+15551000007",
        email: `walkin${size}_${run}@example.com`,
      }),
    });
    const sync = await timed(server, cookie, "/api/leads/sync", { method: "POST" });
    const dashboard = await timed(server, cookie, "/");
    const leadsPage = await timed(server, cookie, "/api/leads");
    return {
      manualLeadMs: manual.ms,
      syncMs: sync.ms,
      dashboardMs: dashboard.ms,
      leadsPageMs: leadsPage.ms,
      rssKib: await rssKib(server.pid),
    };
  } finally {
    await stopServer(server);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const sizes = [];
try {
  const stores: Store[] = [];
  for (const size of [...SIZES].sort((a, b) => a - b)) {
    progress(`seeding ${size} leads`);
    const store = await seed(size);
    // The first sync of a KV sweeps 90 days of every form; every measured sync after it is the
    // usual one (since the last sweep), so the sizes compare like with like.
    await measureOnce(store, 0);
    stores.push(store);
  }
  // Runs alternate between the sizes, so a busy moment of the shared machine hits them alike.
  const samples = new Map<number, Sample[]>(stores.map((store) => [store.size, []]));
  for (let run = 1; run <= RUNS; run++) {
    for (const store of stores) {
      const sample = await measureOnce(store, run);
      samples.get(store.size)!.push(sample);
      progress(
        `  run ${run}, ${store.size} leads: POST /api/leads ${sample.manualLeadMs} ms, POST ` +
          `/api/leads/sync ${sample.syncMs} ms, GET / ${sample.dashboardMs} ms, GET /api/leads ` +
          `${sample.leadsPageMs} ms`,
      );
    }
  }
  for (const store of stores) {
    const mine = samples.get(store.size)!;
    sizes.push({
      leads: store.size,
      manualLeadMs: median(mine.map((s) => s.manualLeadMs)),
      syncMs: median(mine.map((s) => s.syncMs)),
      dashboardMs: median(mine.map((s) => s.dashboardMs)),
      leadsPageMs: median(mine.map((s) => s.leadsPageMs)),
      kvBytes: (await Deno.stat(store.kvPath)).size,
      samples: mine,
    });
  }
  await writeResult("growth", {
    machine,
    command: "deno task bench:growth",
    what: "the first request of each kind in a fresh server process on a KV holding N Meta leads " +
      "(with details, created over the last 60 days, stored through the app's lead store so " +
      "the contact index and the pages are written in their commits, every follower at the " +
      "head as a running server leaves them): median of " + RUNS + " processes per size, the " +
      "sizes in turn",
    runs: RUNS,
    sizes,
    uptime: await uptime(),
  });
} finally {
  await sim.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
