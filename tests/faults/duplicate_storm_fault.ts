// Fault suite: a duplicate storm. 10,000 signed deliveries sent 32 at a time, 30% of them repeats
// of others (in any order, some in flight together, some waiting in the webhook inbox together):
// exactly the unique leads are stored, every one is fetched, with exactly one Graph read each.
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { LEADS_BY_CREATED_PREFIX } from "../../lib/leads/keys.ts";
import { startTestServer } from "../_helpers/app.ts";
import { ACCESS_TOKEN, APP_SECRET, liveEnv } from "../_helpers/pipeline.ts";
import { countKeys, pool, scaled, seededRandom, shuffle, until } from "./_helpers.ts";

Deno.test("[faults] duplicate storm: 10,000 deliveries, 30% repeats, concurrent -> exactly the unique leads, one Graph read each", async () => {
  const total = scaled(10_000);
  const unique = Math.round(total * 0.7);
  const random = seededRandom(12);
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: 12,
  });
  const server = await startTestServer({ env: liveEnv(sim, { LOG_LEVEL: "warn" }) });
  try {
    const bodies = await Promise.all(Array.from({ length: unique }, async () => {
      const body = sim.webhookBody([sim.createLead()]);
      return { body, signature: await signBody(APP_SECRET, body) };
    }));
    // Each repeat is a delivery Meta sends again, byte for byte.
    const deliveries = [...bodies];
    for (let i = unique; i < total; i++) deliveries.push(bodies[Math.floor(random() * unique)]);
    shuffle(deliveries, random);

    let inserted = 0;
    let duplicates = 0;
    let queued = 0;
    const statuses = new Map<number, number>();
    await pool(deliveries.length, 32, async (i) => {
      const res = await fetch(server.url + "/webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": deliveries[i].signature,
        },
        body: deliveries[i].body,
      });
      const answer = await res.json();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      inserted += answer.inserted ?? 0;
      duplicates += answer.duplicates ?? 0;
      if (answer.queued === true) queued++;
    });
    assert.deepEqual([...statuses], [[200, total]], "every delivery acknowledged");
    // 32 at once are more than the webhook waits for: most are answered as soon as they are
    // durable in the inbox (queued), their leads stored right after; the others once stored.
    assert.equal(inserted + duplicates + queued, total, "each answer says stored, known or queued");
    assert.ok(inserted <= unique, "no lead inserted twice");
    await until(
      () => server.app.services.ingestion.inbox.backlog() === 0,
      "the inbox to be stored",
      120_000,
    );
    assert.equal(await countKeys(server.kv, LEADS_BY_CREATED_PREFIX), unique, "stored leads");

    // Every lead fetched, each with exactly one Graph read.
    await until(
      async () => {
        let pending = 0;
        for await (const entry of server.kv.list<{ details: string }>({ prefix: ["leads"] })) {
          if (entry.value.details !== "fetched") pending++;
        }
        return pending === 0;
      },
      "every lead to be fetched",
      120_000,
    );
    // Nothing is left that could read a lead twice: no job waits or runs.
    await until(
      async () => await countKeys(server.kv, ["jobs"]) === 0,
      "the job queue to empty",
      120_000,
    );
    assert.equal(sim.calls("lead"), unique, "one Graph read per lead");
    console.log(
      `duplicate storm: ${total} deliveries, ${unique} leads, ${sim.calls("lead")} lead reads in ` +
        `${sim.requests()} Graph requests`,
    );
  } finally {
    await server.close();
    await sim.close();
  }
});
