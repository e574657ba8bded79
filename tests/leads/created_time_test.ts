// A created_time from the future is clamped to the receive time (a little clock skew allowed), so a
// lead never sits on top of the list for ever; the lead page keeps what Meta reported.

import assert from "node:assert/strict";
import {
  applyLeadDetails,
  clampCreatedTime,
  CREATED_TIME_SKEW_MS,
  newMetaLead,
} from "../../lib/leads/model.ts";
import { waitForSettled, withPipeline } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";

const now = new Date("2026-03-04T05:06:07.000Z");
const change = { leadgenId: "1234567890", pageId: "1", formId: null, adId: null, adgroupId: null };

Deno.test("[model] a created time past the receive time plus a few minutes of skew is clamped", () => {
  const future = newMetaLead({ ...change, createdTime: Date.UTC(2099, 0, 1) / 1000 }, now);
  assert.equal(future.createdTime, now.toISOString());
  assert.equal(future.createdTimeReported, "2099-01-01T00:00:00.000Z");

  const skewed = now.getTime() + CREATED_TIME_SKEW_MS - 1000;
  const nearly = newMetaLead({ ...change, createdTime: skewed / 1000 }, now);
  assert.equal(nearly.createdTime, new Date(skewed).toISOString(), "a small skew is kept");
  assert.equal(nearly.createdTimeReported, null);

  const past = newMetaLead({ ...change, createdTime: 1_700_000_000 }, now);
  assert.equal(past.createdTime, "2023-11-14T22:13:20.000Z");
  assert.equal(past.createdTimeReported, null);

  // The Graph fetch's created_time is clamped the same way, against when the lead was received.
  const fetched = applyLeadDetails(past, { createdTime: "2098-05-05T00:00:00.000Z" }, now);
  assert.equal(fetched.createdTime, past.receivedAt);
  assert.equal(fetched.createdTimeReported, "2098-05-05T00:00:00.000Z");
  // A sane time from Meta replaces a clamped one from the webhook.
  const fixed = applyLeadDetails(future, { createdTime: "2026-03-04T05:00:00.000Z" }, now);
  assert.equal(fixed.createdTime, "2026-03-04T05:00:00.000Z");
  assert.equal(fixed.createdTimeReported, null);
  assert.deepEqual(clampCreatedTime("2026-03-04T05:11:07.000Z", now.toISOString()), {
    createdTime: "2026-03-04T05:11:07.000Z",
    reported: null,
  });
});

Deno.test("[pipeline] a lead created in the future is listed by when it was received and does not stay on top", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const fromFuture = sim.createLead({ createdTime: nowSeconds + 10 * 365 * 24 * 3600 });
    await (await sim.deliver([fromFuture], webhookUrl)).body?.cancel();
    const clamped = await waitForSettled(server, fromFuture.id);
    assert.equal(clamped.details, "fetched");
    assert.equal(clamped.createdTime, clamped.receivedAt);
    assert.equal(
      clamped.createdTimeReported,
      new Date(fromFuture.createdTime * 1000).toISOString(),
    );

    // A lead that arrives afterwards (the clock has moved past the first one's arrival), created
    // now, is above it.
    await waitFor(() => Date.now() > Date.parse(clamped.receivedAt), "the clock to move on");
    const later = sim.createLead({ createdTime: nowSeconds + 1 });
    await (await sim.deliver([later], webhookUrl)).body?.cancel();
    await waitForSettled(server, later.id);
    const { leads } = await server.app.services.leads.listLeads();
    assert.deepEqual(leads.map((lead) => lead.leadgenId), [later.id, fromFuture.id]);

    const page = await (await server.fetch(`/leads/${clamped.id}`, {
      headers: { accept: "text/html" },
    })).text();
    const year = new Date(fromFuture.createdTime * 1000).toISOString().slice(0, 4);
    assert.match(page, new RegExp(`data-created-reported[^>]*>.*Meta reported.*${year}`, "s"));
    const json = await (await server.fetch(`/api/leads/${clamped.id}`)).json();
    assert.equal(json.createdTimeReported, clamped.createdTimeReported);
  });
});
