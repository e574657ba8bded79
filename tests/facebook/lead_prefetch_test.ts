// A lead read ahead (while its stub commits) is taken by the next read of it, once; reads nobody
// takes are forgotten, and their errors never go unhandled.
import assert from "node:assert/strict";
import { GraphApiError } from "../../lib/facebook/graph_errors.ts";
import { createLeadBatcher } from "../../lib/facebook/lead_batcher.ts";
import { createPrefetchingReader } from "../../lib/facebook/lead_prefetch.ts";
import type { GraphSimulator } from "../../lib/graph_sim/mod.ts";
import { graphClientFor, withGraphSim } from "../_helpers/graph_sim.ts";

const APP_SECRET = "prefetch-app-secret";
const TOKEN = "prefetch-page-token";

const withSim = (fn: (sim: GraphSimulator) => Promise<void>) =>
  withGraphSim({ appSecret: APP_SECRET, accessToken: TOKEN, seed: 5 }, fn);

const batcherFor = (sim: GraphSimulator) =>
  createLeadBatcher(graphClientFor(sim, APP_SECRET, TOKEN));

/** Waits until the simulator has answered `count` requests (the read ahead went out). */
async function requestsReach(sim: GraphSimulator, count: number) {
  const deadline = Date.now() + 5_000;
  while (sim.requests() < count) {
    if (Date.now() > deadline) throw new Error(`only ${sim.requests()} of ${count} requests`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

Deno.test("[graph] read ahead: the request goes out at once and the next read takes its answer; a later read asks again", async () => {
  await withSim(async (sim) => {
    const reader = createPrefetchingReader(batcherFor(sim));
    const lead = sim.createLead();
    reader.prefetch(lead.id, lead.pageId);
    reader.prefetch(lead.id, lead.pageId); // the same lead twice: one read
    await requestsReach(sim, 1);
    assert.equal(reader.waiting, 1);
    const read = await reader.getLead(lead.id, lead.pageId);
    assert.equal(read.id, lead.id);
    assert.equal(sim.requests(), 1, "the job's read took the answer read ahead");
    assert.equal(reader.waiting, 0);
    // Taken once: a retry of the job reads Meta again.
    assert.equal((await reader.getLead(lead.id, lead.pageId)).id, lead.id);
    assert.equal(sim.requests(), 2);
    // A lead nobody read ahead is read as before.
    const other = sim.createLead();
    assert.equal((await reader.getLead(other.id, other.pageId)).id, other.id);
    assert.equal(sim.requests(), 3);
  });
});

Deno.test("[graph] read ahead: leads of one page read ahead together share a request", async () => {
  await withSim(async (sim) => {
    const reader = createPrefetchingReader(batcherFor(sim));
    const page = sim.pages[0].id;
    const leads = Array.from({ length: 30 }, () => sim.createLead({ pageId: page }));
    for (const lead of leads) reader.prefetch(lead.id, lead.pageId);
    const read = await Promise.all(leads.map((lead) => reader.getLead(lead.id, lead.pageId)));
    assert.deepEqual(read.map((lead) => lead.id), leads.map((lead) => lead.id));
    assert.equal(sim.requests(), 1, "30 leads read ahead in one multi-id request");
  });
});

Deno.test("[graph] read ahead: Meta's refusal goes to the read that takes it; one nobody takes is dropped quietly", async () => {
  await withSim(async (sim) => {
    const reader = createPrefetchingReader(batcherFor(sim));
    const lead = sim.createLead();
    sim.injectFault({ path: "lead", code: 190, times: 2 });
    reader.prefetch(lead.id, lead.pageId);
    const error = await reader.getLead(lead.id, lead.pageId).then(() => null, (e) => e);
    assert.ok(error instanceof GraphApiError, String(error));
    assert.equal(error.kind, "token");
    assert.equal(sim.requests(), 1);
    // Read ahead, refused, never taken: no unhandled rejection fails this test.
    const orphan = sim.createLead();
    reader.prefetch(orphan.id, orphan.pageId);
    await requestsReach(sim, 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reader.waiting, 1);
  });
});

Deno.test("[graph] read ahead: reads not taken expire, and past the cap none is started", async () => {
  await withSim(async (sim) => {
    let now = 1_000_000;
    const reader = createPrefetchingReader(batcherFor(sim), {
      maxWaiting: 2,
      ttlMs: 1_000,
      now: () => now,
    });
    const [a, b, c] = [sim.createLead(), sim.createLead(), sim.createLead()];
    reader.prefetch(a.id, a.pageId);
    reader.prefetch(b.id, b.pageId);
    reader.prefetch(c.id, c.pageId); // past the cap: not read ahead
    await requestsReach(sim, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reader.waiting, 2);
    const before = sim.calls("lead");
    assert.equal(before, 2, "only the two under the cap were read");
    // Its job came late (or never): the answer read ahead is old, so Meta is asked again.
    now += 1_000;
    assert.equal(reader.waiting, 0);
    assert.equal((await reader.getLead(a.id, a.pageId)).id, a.id);
    assert.equal(sim.calls("lead"), before + 1);
  });
});
