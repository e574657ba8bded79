// Leadgen ids in one canonical form only, and a bad change never costs its delivery's good leads.

import assert from "node:assert/strict";
import { readDelivery } from "../../lib/leads/deliveries.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { ACCESS_TOKEN, APP_SECRET, postDelivery, VERIFY_TOKEN } from "../_helpers/pipeline.ts";

const ENV = {
  META_APP_SECRET: APP_SECRET,
  META_VERIFY_TOKEN: VERIFY_TOKEN,
  META_ACCESS_TOKEN: ACCESS_TOKEN,
  // Nothing listens here: these tests never let a fetch job reach the Graph API.
  GRAPH_API_BASE: "http://127.0.0.1:9",
  JOB_RETRY_DELAY_MS: "600000",
};

async function withServer(fn: (server: TestServer) => Promise<void>) {
  const server = await startTestServer({ env: ENV });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** A delivery of one entry whose leadgen_ids are written exactly as given (raw JSON text). */
function deliveryOf(rawIds: string[]): string {
  const changes = rawIds.map((raw) =>
    `{"field":"leadgen","value":{"leadgen_id":${raw},"page_id":"101","form_id":"202",` +
    `"created_time":1764336000}}`
  );
  return `{"object":"page","entry":[{"id":"101","time":1764336000,"changes":[${
    changes.join(",")
  }]}]}`;
}

async function storedLeadgenIds(server: TestServer): Promise<string[]> {
  const { leads } = await server.app.services.leads.listLeads({ limit: 500 });
  return leads.map((lead) => lead.leadgenId!).sort();
}

Deno.test("[e2e] POST /webhook: a delivery mixing good and malformed leadgen ids gets 200; only the good leads are stored", async () => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    const body = deliveryOf([
      '"123456789012345"',
      "1e5",
      "0.0",
      '"0123456789012345"',
      "123456789012346",
      '"-5"',
    ]);
    const res = await postDelivery(url, body);
    assert.equal(res.status, 200, res.text);
    const answer = JSON.parse(res.text);
    assert.equal(answer.received, 2);
    assert.equal(answer.inserted, 2);
    assert.deepEqual(
      answer.rejected.map((item: { path: string }) => item.path),
      [1, 2, 3, 5].map((i) => `entry[0].changes[${i}]`),
    );
    assert.match(
      answer.rejected[2].reason,
      /leadgen_id must be .* no leading zero.*"0123456789012345"/,
    );
    assert.deepEqual(await storedLeadgenIds(server), ["123456789012345", "123456789012346"]);
    assert.ok(server.logs.some((line) => line.includes('"webhook changes refused: malformed"')));

    // The kept copy says what was left out, for audit and replay.
    const kept = await readDelivery(server.kv, await deliveryIdOf(server));
    assert.match(kept?.record.reason ?? "", /rejected 4 malformed/);

    // Meta sends it again (it may, for 36 hours): still 200, nothing new.
    const again = await postDelivery(url, body);
    assert.equal(again.status, 200);
    assert.equal(JSON.parse(again.text).duplicates, 2);
    assert.equal((await storedLeadgenIds(server)).length, 2);
  });
});

Deno.test("[e2e] POST /webhook: a leading-zero id never makes a second lead for the same id", async () => {
  await withServer(async (server) => {
    const url = server.url + "/webhook";
    assert.equal((await postDelivery(url, deliveryOf(['"987654321098765"']))).status, 200);
    const zero = await postDelivery(url, deliveryOf(['"0987654321098765"']));
    assert.equal(zero.status, 400, "nothing good in it");
    assert.match(JSON.parse(zero.text).error, /leadgen_id must be/);
    const exponent = await postDelivery(url, deliveryOf(["9.87654321098765e14"]));
    assert.equal(exponent.status, 400);
    assert.deepEqual(await storedLeadgenIds(server), ["987654321098765"]);
  });
});

Deno.test("[e2e] POST /webhook: a delivery with only malformed changes gets 400 with every count, and stores nothing", async () => {
  await withServer(async (server) => {
    const res = await postDelivery(server.url + "/webhook", deliveryOf(["1e5", '"0"', "0.0"]));
    assert.equal(res.status, 400);
    assert.match(
      JSON.parse(res.text).error,
      /^Cannot accept delivery: entry\[0\]\.changes\[0\]\.value\.leadgen_id must be .* \(and 2 more malformed\)$/,
    );
    assert.deepEqual(await storedLeadgenIds(server), []);
    assert.equal(await server.app.services.leads.getChangeHead(), 0);
  });
});

/** The id of the one delivery kept so far. */
async function deliveryIdOf(server: TestServer): Promise<string> {
  for await (const entry of server.kv.list<{ id: string }>({ prefix: ["webhook_deliveries"] })) {
    return entry.value.id;
  }
  throw new Error("no delivery kept");
}
