import assert from "node:assert/strict";
import { readSse, type SseMessage, type SseReader } from "../_helpers/sse.ts";
import { postDelivery, withPipeline } from "../_helpers/pipeline.ts";

async function nextLead(reader: SseReader): Promise<SseMessage> {
  while (true) {
    const message = await reader.nextEvent();
    assert.ok(message, "the stream ended");
    if (message.event === "lead") return message;
  }
}

Deno.test("[e2e] a webhook lead reaches an open dashboard's stream once, with its name, when Meta answers quickly", async () => {
  // A long wait, so a slow test machine cannot make the fetch outlast it.
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const res = await server.fetch("/api/events");
    assert.equal(res.status, 200);
    const reader = readSse(res);
    try {
      assert.equal((await reader.nextEvent())?.event, "ready");
      const leads = [
        sim.createLead({ fields: { fullName: "Fiona First" } }),
        sim.createLead({ fields: { fullName: "Sam Second" } }),
      ];
      for (const lead of leads) {
        assert.equal((await postDelivery(webhookUrl, sim.webhookBody([lead]))).status, 200);
        const message = await nextLead(reader);
        const body = JSON.parse(message.data!);
        assert.equal(body.leadgenId, lead.id);
        assert.equal(body.details, "fetched", "the stub did not go out before the answers");
        assert.equal(body.fullName, lead.fields.fullName);
      }
    } finally {
      await reader.close();
    }
  }, { env: { SSE_NAME_WAIT_MS: "10000" } });
});

Deno.test("[e2e] when Meta is slow to answer, the stub goes out after SSE_NAME_WAIT_MS and the name follows", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const res = await server.fetch("/api/events");
    const reader = readSse(res);
    const answer = Promise.withResolvers<void>();
    try {
      assert.equal((await reader.nextEvent())?.event, "ready");
      const lead = sim.createLead({ fields: { fullName: "Paula Pending" } });
      // Meta holds this lead's answers until the stub has been seen.
      sim.injectFault({ path: "lead", until: answer.promise, times: 1 });
      assert.equal((await postDelivery(webhookUrl, sim.webhookBody([lead]))).status, 200);
      const stub = JSON.parse((await nextLead(reader)).data!);
      assert.equal(stub.leadgenId, lead.id);
      assert.equal(stub.details, "pending");
      answer.resolve();
      const named = JSON.parse((await nextLead(reader)).data!);
      assert.equal(named.fullName, "Paula Pending");
      assert.equal(named.details, "fetched");
    } finally {
      answer.resolve();
      await reader.close();
    }
  }, { env: { SSE_NAME_WAIT_MS: "50" } });
});
