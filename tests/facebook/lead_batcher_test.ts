// Lead reads asked for together share Meta's multi-id reads; a read alone stays a plain GET.
import assert from "node:assert/strict";
import { GraphApiError } from "../../lib/facebook/graph_errors.ts";
import { createLeadBatcher } from "../../lib/facebook/lead_batcher.ts";
import type { GraphSimulator } from "../../lib/graph_sim/mod.ts";
import { graphClientFor, withGraphSim } from "../_helpers/graph_sim.ts";

const APP_SECRET = "batcher-app-secret";
const TOKEN = "batcher-page-token";

const withSim = (fn: (sim: GraphSimulator) => Promise<void>) =>
  withGraphSim({ appSecret: APP_SECRET, accessToken: TOKEN, seed: 3 }, fn);

const clientFor = (sim: GraphSimulator) => graphClientFor(sim, APP_SECRET, TOKEN);

Deno.test("[graph] multi-id read: several leads of a page in one request, each counted", async () => {
  await withSim(async (sim) => {
    const leads = [sim.createLead(), sim.createLead(), sim.createLead()];
    const read = await clientFor(sim).getLeads!(leads.map((l) => l.id), leads[0].pageId);
    assert.deepEqual(Object.keys(read).sort(), leads.map((l) => l.id).sort());
    for (const lead of leads) assert.equal(read[lead.id].id, lead.id);
    assert.equal(sim.requests(), 1);
    assert.equal(sim.calls("lead"), 3, "Meta counts each id");
    const error = await clientFor(sim).getLeads!([leads[0].id, "999999999999999"], "1")
      .then(() => null, (e) => e);
    assert.ok(error instanceof GraphApiError);
    assert.equal(error.retryable, false);
  });
});

Deno.test("[graph] lead batcher: reads asked for together share requests; one alone is a plain read", async () => {
  await withSim(async (sim) => {
    const reader = createLeadBatcher(clientFor(sim));
    const one = sim.createLead();
    assert.equal((await reader.getLead(one.id, one.pageId)).id, one.id);
    assert.equal(sim.requests(), 1);
    sim.resetCalls();
    const page = sim.pages[0].id;
    const many = Array.from({ length: 40 }, () => sim.createLead({ pageId: page }));
    const read = await Promise.all(many.map((lead) => reader.getLead(lead.id, lead.pageId)));
    assert.deepEqual(read.map((lead) => lead.id), many.map((lead) => lead.id));
    assert.ok(sim.requests() < 40, `${sim.requests()} requests for 40 leads`);
    assert.equal(sim.calls("lead"), 40, "one lead read per lead");
  });
});

Deno.test("[graph] lead batcher: a lead Meta will not give fails alone; a retryable failure fails the request's leads", async () => {
  await withSim(async (sim) => {
    const reader = createLeadBatcher(clientFor(sim), { maxInFlight: 1 });
    const page = sim.pages[0].id;
    const good = Array.from({ length: 5 }, () => sim.createLead({ pageId: page }));
    const ids = [...good.map((lead) => lead.id), "999999999999999"];
    const outcomes = await Promise.allSettled(ids.map((id) => reader.getLead(id, page)));
    assert.deepEqual(outcomes.slice(0, 5).map((o) => o.status), Array(5).fill("fulfilled"));
    const missing = outcomes[5] as PromiseRejectedResult;
    assert.ok(missing.reason instanceof GraphApiError);
    assert.equal(missing.reason.kind, "not_found");

    sim.injectFault({ path: "lead", status: 503, times: 1 });
    const more = Array.from({ length: 3 }, () => sim.createLead({ pageId: page }));
    const failed = await Promise.allSettled(more.map((lead) => reader.getLead(lead.id, page)));
    // Asked for in one tick, they went as one request, which took the fault: each of them has
    // the retryable error (their jobs try again), as if each had been read alone and failed.
    assert.equal(sim.requests(), 8, "the refused multi-id read, 6 reads alone, the faulted one");
    for (const outcome of failed) {
      assert.equal(outcome.status, "rejected");
      assert.equal(((outcome as PromiseRejectedResult).reason as GraphApiError).retryable, true);
    }
  });
});

Deno.test("[graph sim] a fault with a rate hits about that share of calls", async () => {
  await withSim(async (sim) => {
    sim.injectFault({ path: "lead", status: 500, rate: 0.3 });
    const client = clientFor(sim);
    let failures = 0;
    for (let i = 0; i < 200; i++) {
      const lead = sim.createLead();
      await client.getLead(lead.id, lead.pageId).catch(() => failures++);
    }
    assert.ok(failures > 20 && failures < 100, `${failures} of 200 failed`);
    assert.throws(() => sim.injectFault({ rate: 0 }), /rate must be/);
  });
});
