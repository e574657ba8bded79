// Pages and API reads with 100,000 leads stored: the dashboard HTML, GET /api/leads (first page,
// 500, a deep page), the polling read, a lead's page; and the KV file's size. The leads are stored
// through the lead store wired as the app wires it, and the KV is left as a running server leaves
// it (every lead follower at the head, the one-off backfills done), as bench/growth.ts does: a KV
// no server has served makes the new server catch up with every lead in the background first.
//
// Run: deno task bench:pages   (writes bench/results/pages.json)
// Sizes: PAGES_LEADS (100,000), PAGES_REQUESTS (200 per URL). PAGES_KV=path keeps the seeded KV
// file there and starts each later run from a copy of it (seeding 100,000 leads takes minutes).

import { startGraphSimulator } from "../lib/graph_sim/mod.ts";
import { fieldDataOf } from "../lib/graph_sim/state.ts";
import { applyLeadDetails, type Lead, newMetaLead } from "../lib/leads/model.ts";
import { createLeadStore } from "../lib/leads/store.ts";
import { contactIndexWrites } from "../lib/leads/contact_index.ts";
import { leadFollowerKey } from "../lib/leads/lead_follower.ts";
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
  startLeadline,
  stopServer,
  summarize,
  uptime,
  writeResult,
} from "./_shared.ts";

const LEADS = Number(Deno.env.get("PAGES_LEADS") ?? 100_000);
const REQUESTS = Number(Deno.env.get("PAGES_REQUESTS") ?? 200);
const KEPT = Deno.env.get("PAGES_KV");

const machine = await machineInfo();
const sim = await startGraphSimulator({
  appSecret: APP_SECRET,
  accessToken: ACCESS_TOKEN,
  seed: 31,
});
const dir = await Deno.makeTempDir({ prefix: "leadline_bench_pages_" });
const kvPath = `${dir}/leadline.kv`;

/** KV's files (the database, its write-ahead log) in bytes. */
async function kvBytes(): Promise<{ total: number; database: number; wal: number }> {
  const size = (suffix: string) => Deno.stat(kvPath + suffix).then((s) => s.size, () => 0);
  const [database, wal, shm] = await Promise.all([size(""), size("-wal"), size("-shm")]);
  return { total: database + wal + shm, database, wal };
}

/** What a kept KV file was seeded with. */
const SEEDED_KEY = ["bench_pages", "seeded"];

try {
  const reuse = KEPT !== undefined && await Deno.stat(KEPT).then(() => true, () => false);
  if (reuse) {
    progress(`starting from a copy of the leads seeded in ${KEPT}`);
    await Deno.copyFile(KEPT!, kvPath);
    await Deno.copyFile(KEPT + "-wal", kvPath + "-wal").catch(() => {});
  } else progress(`storing ${LEADS} leads with their answers`);
  const started = performance.now();
  const kv = await Deno.openKv(kvPath);
  const contact = contactIndexWrites({ defaultCountry: null });
  const pages = seenPageWrites();
  const store = createLeadStore(kv, {
    deriveWrites(op, write) {
      contact(op, write);
      pages(op, write);
    },
  });
  const now = Date.now();
  let someId = "";
  const seeded = (await kv.get<{ leads: number; someId: string; storeSeconds: number }>(
    SEEDED_KEY,
  )).value;
  if (reuse && seeded?.leads !== LEADS) throw new Error(`${KEPT} holds another number of leads`);
  if (seeded) someId = seeded.someId;
  for (let done = reuse ? LEADS : 0; done < LEADS;) {
    const batch: Lead[] = [];
    for (let i = 0; i < 1000 && done + i < LEADS; i++) {
      const simLead = sim.createLead({
        createdTime: Math.floor((now - (LEADS - done - i) * 60_000) / 1000),
      });
      const stub = newMetaLead({
        leadgenId: simLead.id,
        pageId: simLead.pageId,
        formId: simLead.formId,
        adId: simLead.adId,
        adgroupId: null,
        createdTime: simLead.createdTime,
      }, new Date());
      const answers = fieldDataOf(simLead);
      batch.push(applyLeadDetails(stub, {
        fullName: simLead.fields.fullName,
        email: simLead.fields.email,
        phone: simLead.fields.phone,
        answers,
        adName: simLead.adName,
        campaignName: simLead.campaignName,
        formName: "Test drive booking",
      }, new Date()));
    }
    const result = await store.insertLeads(batch);
    if (result.failed.length > 0) throw result.failed[0].error;
    someId = result.inserted[0]?.id ?? someId;
    done += batch.length;
    if (done % 20_000 === 0) progress(`  ${done} stored`);
  }
  const head = await store.getChangeHead();
  if (!seeded) {
    await store.indexStoredLeads();
    for (const name of LEAD_FOLLOWERS) await kv.set(leadFollowerKey(name), head);
    await kv.set(leadBackfillKey(DERIVED_BACKFILL), true);
  }
  const deep = await store.listLeads({ limit: 500 });
  const storeSeconds = seeded?.storeSeconds ??
    Math.round((performance.now() - started) / 100) / 10;
  if (!seeded) await kv.set(SEEDED_KEY, { leads: LEADS, someId, storeSeconds });
  kv.close();
  if (KEPT && !reuse) await Deno.copyFile(kvPath, KEPT);
  if (KEPT && !reuse) await Deno.copyFile(kvPath + "-wal", KEPT + "-wal").catch(() => {});
  const bytes = await kvBytes();
  progress(
    `  ${LEADS} leads in ${storeSeconds} s; KV ${Math.round(bytes.total / 1024 / 1024)} MiB ` +
      `(database ${Math.round(bytes.database / 1024 / 1024)} MiB)`,
  );

  const cookie = await benchSession(kvPath);
  const server = await startLeadline(leadlineEnv(kvPath, sim));
  const urls: Record<string, string> = {
    "GET / (dashboard HTML)": "/",
    "GET /api/leads (50 newest)": "/api/leads",
    "GET /api/leads?limit=500": "/api/leads?limit=500",
    "GET /api/leads?cursor= (the 50 after the newest 500)": `/api/leads?cursor=${deep.cursor}`,
    "GET /api/leads?since= (polling, 50 changes behind)": `/api/leads?since=${head - 50}`,
    "GET /leads/:id (a lead's page)": `/leads/${someId}`,
    // Once more at the end: the first URL timed in the server's first seconds, this after the rest.
    "GET / again, after the other reads": "/?view=mine",
  };
  const reads: (
    & { what: string; path: string; bytes: number; uptime: string }
    & ReturnType<typeof summarize>
  )[] = [];
  /** `path` requested REQUESTS times (after 10 to warm up) from `url`. */
  const timeUrl = async (url: string, what: string, path: string) => {
    const samples: number[] = [];
    let bytesOut = 0;
    for (let i = 0; i < REQUESTS + 10; i++) {
      const t0 = performance.now();
      const res = await fetch(url + path, { headers: { cookie } });
      const body = await res.arrayBuffer();
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${what} answered ${res.status}`);
      if (i >= 10) samples.push(ms);
      bytesOut = body.byteLength;
    }
    const figures = summarize(samples);
    reads.push({ what, path, bytes: bytesOut, ...figures, uptime: await uptime() });
    progress(`  ${what}: p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms (${bytesOut} bytes)`);
  };
  try {
    for (const [what, path] of Object.entries(urls)) await timeUrl(server.url, what, path);
  } finally {
    await stopServer(server);
  }
  // The same leads on a KV no server has served (stored by another process, or an older version's):
  // the new server catches every lead follower up with all 100,000 changes and derives the
  // contact index again in the background while the dashboard is timed.
  const unservedPath = `${dir}/unserved.kv`;
  await Deno.copyFile(kvPath, unservedPath);
  await Deno.copyFile(kvPath + "-wal", unservedPath + "-wal").catch(() => {});
  const unservedKv = await Deno.openKv(unservedPath);
  for (const name of LEAD_FOLLOWERS) await unservedKv.delete(leadFollowerKey(name));
  await unservedKv.delete(leadBackfillKey(DERIVED_BACKFILL));
  unservedKv.close();
  const catchingUp = await startLeadline(leadlineEnv(unservedPath, sim));
  try {
    await timeUrl(
      catchingUp.url,
      "GET / in the first seconds of a server catching up on a KV no server has served",
      "/",
    );
  } finally {
    await stopServer(catchingUp);
  }
  await writeResult("pages", {
    machine,
    command: "deno task bench:pages",
    leads: LEADS,
    storeSeconds,
    kvBytes: bytes,
    kvBytesPerLead: Math.round(bytes.database / LEADS),
    filteredSearch: "measured by deno task bench:search (bench/search.ts)",
    reads,
  });
} finally {
  await sim.close();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
