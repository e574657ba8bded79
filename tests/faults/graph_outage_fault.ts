// Fault suite: a Graph API outage, then recovery. Deliveries are acknowledged all through it; the
// backlog of fetches drains once Meta answers again, and nothing is left failed that a retry or a
// sync could fetch.
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { ACCESS_TOKEN, APP_SECRET, liveEnv } from "../_helpers/pipeline.ts";
import { pool, scaled, until } from "./_helpers.ts";

async function deliverAll(server: TestServer, sim: GraphSimulator, leads: SimLead[]) {
  const statuses: number[] = [];
  await pool(leads.length, 16, async (i) => {
    const body = sim.webhookBody([leads[i]]);
    const res = await fetch(server.url + "/webhook", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": await signBody(APP_SECRET, body),
      },
      body,
    });
    await res.body?.cancel();
    statuses.push(res.status);
  });
  assert.deepEqual([...new Set(statuses)], [200], "acknowledged while Meta is down");
}

async function detailsStates(server: TestServer): Promise<Map<string, number>> {
  const states = new Map<string, number>();
  for await (const entry of server.kv.list<Lead>({ prefix: ["leads"] })) {
    states.set(entry.value.details, (states.get(entry.value.details) ?? 0) + 1);
  }
  return states;
}

Deno.test("[faults] Graph outage shorter than the retries: the backlog drains by itself once Meta is back", async () => {
  const count = scaled(300);
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: 14,
  });
  const server = await startTestServer({
    env: liveEnv(sim, { JOB_RETRY_DELAY_MS: "200", JOB_MAX_ATTEMPTS: "30", LOG_LEVEL: "warn" }),
  });
  try {
    sim.injectFault({ path: "any", status: 503 });
    const leads = Array.from({ length: count }, () => sim.createLead());
    await deliverAll(server, sim, leads);
    await until(() => sim.calls("lead") >= count * 2, "every lead to fail at least twice");
    assert.equal((await detailsStates(server)).get("pending"), count, "waiting, none given up");

    sim.clearFaults();
    await until(
      async () => (await detailsStates(server)).get("fetched") === count,
      "the backlog to drain",
    );
    assert.ok(leads.every((lead) => sim.served(lead.id) === 1), "each read once when Meta is up");
    assert.deepEqual([...(await detailsStates(server))], [["fetched", count]]);
  } finally {
    await server.close();
    await sim.close();
  }
});

Deno.test("[faults] Graph outage longer than the retries: failed leads are fetched by the next sync, none left failed", async () => {
  const count = scaled(200);
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: 15,
  });
  const server = await startTestServer({
    env: liveEnv(sim, {
      JOB_RETRY_DELAY_MS: "50",
      JOB_MAX_ATTEMPTS: "3",
      SYNC_MIN_INTERVAL_SECONDS: "0",
      LOG_LEVEL: "warn",
    }),
  });
  try {
    sim.injectFault({ path: "any", status: 503 });
    const leads = Array.from({ length: count }, () => sim.createLead());
    await deliverAll(server, sim, leads);
    await until(
      async () => (await detailsStates(server)).get("failed") === count,
      "every lead's retries to run out",
    );

    // Meta is back. The dashboard's minute resync (or the cron) asks for a sync: the sweep lists
    // each form's leads and fills in every lead still without its answers.
    sim.clearFaults();
    const result = await server.app.services.reconciler.requestSync({ trigger: "manual" });
    assert.equal(result.error, undefined, JSON.stringify(result));
    await until(
      async () => (await detailsStates(server)).get("fetched") === count,
      "the sync to fill every failed lead",
    );
    assert.deepEqual([...(await detailsStates(server))], [["fetched", count]], "none left failed");
  } finally {
    await server.close();
    await sim.close();
  }
});
