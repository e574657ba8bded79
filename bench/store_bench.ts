// Lead store speed on a temp-file KV: single inserts, group commit, and a 1,000-lead delivery.

import { createJobQueue } from "../lib/jobs/queue.ts";
import { newMetaLead } from "../lib/leads/model.ts";
import type { Lead } from "../lib/leads/model.ts";
import { createLeadStore } from "../lib/leads/store.ts";

const dir = await Deno.makeTempDir({ prefix: "leadline_bench_" });
const kv = await Deno.openKv(`${dir}/bench.sqlite`);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const store = createLeadStore(kv);
const queue = createJobQueue(kv);
let nextLeadgenId = 100_000_000_000_000;

function leads(count: number): Lead[] {
  const now = new Date();
  return Array.from({ length: count }, () =>
    newMetaLead({
      leadgenId: String(nextLeadgenId++),
      pageId: "123456789012345",
      formId: "234567890123456",
      adId: "345678901234567",
      adgroupId: null,
      createdTime: Math.floor(now.getTime() / 1000),
    }, now));
}

const withFetchJob = {
  onCommit(op: Deno.AtomicOperation, lead: Lead) {
    queue.addJob(op, { type: "fetch_lead", key: lead.leadgenId!, payload: { leadId: lead.id } });
  },
};

Deno.bench("insert 1 lead", { group: "single" }, async () => {
  await store.insertLeads(leads(1));
});

Deno.bench("insert 1 lead + fetch job", { group: "single", baseline: true }, async () => {
  await store.insertLeads(leads(1), withFetchJob);
});

Deno.bench("20 concurrent deliveries of 1 lead + job (group commit)", async (b) => {
  const batches = Array.from({ length: 20 }, () => leads(1));
  b.start();
  await Promise.all(batches.map((batch) => store.insertLeads(batch, withFetchJob)));
  b.end();
});

Deno.bench("20 identical deliveries at once (dedupe)", async (b) => {
  const [lead] = leads(1);
  b.start();
  await Promise.all(
    Array.from({ length: 20 }, () => store.insertLeads([{ ...lead }], withFetchJob)),
  );
  b.end();
});

for (const leadsPerCommit of [20, 40, 90]) {
  const sized = createLeadStore(kv, { leadsPerCommit });
  Deno.bench(`insert 1,000 leads + jobs, ${leadsPerCommit} per commit`, {
    group: "batch",
    baseline: leadsPerCommit === 40,
  }, async (b) => {
    const batch = leads(1000);
    b.start();
    await sized.insertLeads(batch, withFetchJob);
    b.end();
  });
}

Deno.bench("updateLead (status change)", async (b) => {
  const [lead] = leads(1);
  await store.insertLeads([lead]);
  b.start();
  await store.updateLead(lead.id, (l) => ({ ...l, status: "contacted" }));
  b.end();
});

Deno.bench("listLeads 50 newest", async () => {
  await store.listLeads({ limit: 50 });
});

Deno.bench("listChangesSince (100 changes)", async () => {
  const head = await store.getChangeHead();
  await store.listChangesSince(head - 100);
});

// A separate KV so the jobs the benches above leave behind do not join the kicked run.
const kickKv = await Deno.openKv(`${dir}/kick.sqlite`);
const kickStore = createLeadStore(kickKv);
const kickQueue = createJobQueue(kickKv);
kickQueue.register("fetch_lead", () => Promise.resolve());

Deno.bench("insert 1 lead + job, kick, job done", async (b) => {
  const batch = leads(1);
  b.start();
  await kickStore.insertLeads(batch, {
    onCommit(op, lead) {
      kickQueue.addJob(op, { type: "fetch_lead", key: lead.leadgenId!, payload: lead.id });
    },
  });
  await kickQueue.kick();
  b.end();
});
