import process from "node:process";
import { createLeadStore } from "../lib/leads/store.ts";
import { newMetaLead } from "../lib/leads/model.ts";
import { createJobQueue } from "../lib/jobs/mod.ts";
const dir = await Deno.makeTempDir();
const kv = await Deno.openKv(`${dir}/kv`);
const store = createLeadStore(kv);
const jobs = createJobQueue(kv);
let id = 100000000000000;
function lead() { return newMetaLead({ leadgenId: String(id++), pageId: "123456789012345", formId: "234567890123456", adId: "345678901234567", adgroupId: null, createdTime: Math.floor(Date.now() / 1000) }, new Date()); }
async function measure(name: string, n: number, f: () => Promise<unknown>, c = 32) {
  let i = 0; const u0 = process.cpuUsage(); const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => { while (i < n) { i++; await f(); } }));
  const u = process.cpuUsage(u0); const ms = performance.now() - t0;
  console.log(name, `${Math.round(n / ms * 1000)}/s, CPU ${Math.round((u.user + u.system) / n)} µs (user ${Math.round(u.user / n)} sys ${Math.round(u.system / n)})`);
}
const val = { x: "y".repeat(600) };
for (let r = 0; r < 2; r++) {
await measure("raw kv commit 1 set (c=32)", 3000, () => kv.atomic().set(["a", Math.random()], val).commit());
await measure("raw kv commit 10 sets (c=32)", 3000, () => { const op = kv.atomic(); for (let j = 0; j < 10; j++) op.set(["a", Math.random()], val); return op.commit(); });
await measure("raw kv batch 32x10 sets (c=1, per lead)", 100, async () => { const op = kv.atomic(); for (let j = 0; j < 320; j++) op.set(["a", Math.random()], val); await op.commit(); }, 1);
await measure("insertLeads 1 lead (c=32)", 3000, () => store.insertLeads([lead()]));
await measure("insertLeads 1 lead + claimed job (c=32)", 3000, () => store.insertLeads([lead()], { onCommit(op, l) { jobs.addClaimedJob(op, { type: "x", key: l.leadgenId!, payload: { leadId: l.id } }); } }));
await measure("newMetaLead", 10000, async () => lead(), 1);
}
