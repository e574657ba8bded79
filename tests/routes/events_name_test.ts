import assert from "node:assert/strict";
import { readSse, type SseMessage, type SseReader } from "../_helpers/sse.ts";
import { postDelivery, withPipeline } from "../_helpers/pipeline.ts";

/** The next message about a lead: a stored change (`lead`) or a preview (`lead_preview`). */
async function nextLead(reader: SseReader): Promise<SseMessage> {
  while (true) {
    const message = await reader.nextEvent();
    assert.ok(message, "the stream ended");
    if (message.event === "lead" || message.event === "lead_preview") return message;
  }
}

Deno.test("[e2e] a webhook lead reaches an open dashboard's stream once, with its name, while its answers are committed", async () => {
  // A long wait, so a slow test machine cannot make the fetch outlast it.
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const res = await server.fetch("/api/events");
    assert.equal(res.status, 200);
    const reader = readSse(res);
    const leads = [
      sim.createLead({ fields: { fullName: "Fiona First" } }),
      sim.createLead({ fields: { fullName: "Sam Second" } }),
    ];
    let cursor: string | undefined;
    try {
      const ready = await reader.nextEvent();
      assert.equal(ready?.event, "ready");
      cursor = ready?.id;
      for (const lead of leads) {
        assert.equal((await postDelivery(webhookUrl, sim.webhookBody([lead]))).status, 200);
        // The next lead message is this lead's preview: neither the stub before it nor, for the
        // first lead, the change that stored what its preview showed.
        const message = await nextLead(reader);
        assert.equal(message.event, "lead_preview");
        assert.equal(message.id, undefined, "a preview moves no cursor");
        const body = JSON.parse(message.data!);
        assert.equal(body.leadgenId, lead.id);
        assert.equal(body.details, "fetched", "the stub did not go out before the answers");
        assert.equal(body.fullName, lead.fields.fullName);
      }
    } finally {
      await reader.close();
    }
    // What the previews showed is stored: a stream resumed from the cursor gets both, as changes.
    const again = readSse(await server.fetch(`/api/events?since=${cursor}`));
    try {
      assert.equal((await again.nextEvent())?.event, "ready");
      for (const lead of leads) {
        const message = await nextLead(again);
        assert.equal(message.event, "lead");
        assert.match(message.id ?? "", /^\d+$/);
        const body = JSON.parse(message.data!);
        assert.equal(body.leadgenId, lead.id);
        assert.equal(body.fullName, lead.fields.fullName);
      }
    } finally {
      await again.close();
    }
  }, { env: { SSE_NAME_WAIT_MS: "10000" } });
});

Deno.test("[e2e] when Meta is slow to answer, the stub goes out after SSE_NAME_WAIT_MS and the name follows once", async () => {
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
      const stub = await nextLead(reader);
      assert.equal(stub.event, "lead");
      assert.equal(JSON.parse(stub.data!).leadgenId, lead.id);
      assert.equal(JSON.parse(stub.data!).details, "pending");
      answer.resolve();
      const named = await nextLead(reader);
      assert.equal(named.event, "lead_preview");
      assert.equal(JSON.parse(named.data!).fullName, "Paula Pending");
      assert.equal(JSON.parse(named.data!).details, "fetched");
      // The change that stored the answers is not sent again: the next lead message is another's.
      const other = sim.createLead({ fields: { fullName: "Otto Other" } });
      assert.equal((await postDelivery(webhookUrl, sim.webhookBody([other]))).status, 200);
      const next = await nextLead(reader);
      assert.equal(JSON.parse(next.data!).leadgenId, other.id);
    } finally {
      answer.resolve();
      await reader.close();
    }
  }, { env: { SSE_NAME_WAIT_MS: "50" } });
});

Deno.test("[e2e] a stream opened with previews=0 (a list with a search) gets a webhook lead as stored, with its name", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const reader = readSse(await server.fetch("/api/events?previews=0"));
    try {
      assert.equal((await reader.nextEvent())?.event, "ready");
      const lead = sim.createLead({ fields: { fullName: "Sasha Search" } });
      assert.equal((await postDelivery(webhookUrl, sim.webhookBody([lead]))).status, 200);
      const message = await nextLead(reader);
      assert.equal(message.event, "lead");
      assert.match(message.id ?? "", /^\d+$/);
      assert.equal(JSON.parse(message.data!).fullName, "Sasha Search");
    } finally {
      await reader.close();
    }
  }, { env: { SSE_NAME_WAIT_MS: "10000" } });
});
