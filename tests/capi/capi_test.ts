// Lead quality back to Meta: a Meta lead reaching a mapped stage is reported once per stage to
// the Graph simulator's `POST /{dataset_id}/events` (checked and recorded like Meta's Conversion
// Leads), with its lead id exact, and its timeline says so; off without META_DATASET_ID.

import assert from "node:assert/strict";
import { crmEventData } from "../../lib/capi/send.ts";
import { parseDatasetEvents } from "../../lib/graph_sim/datasets.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { waitFor } from "../_helpers/wait.ts";

const DATASET = "1234567890123456";

async function metaLead(server: TestServer) {
  const simulator = server.app.services.simulator!;
  const simLead = simulator.createLead();
  await (await simulator.deliver([simLead], `${server.url}/webhook`)).body?.cancel();
  const lead = await waitFor(async () => {
    const found = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
    return found?.details === "fetched" ? found : null;
  }, "the lead's details");
  return { simLead, lead };
}

async function setStatus(server: TestServer, id: string, status: string) {
  const res = await server.fetch(`/api/leads/${id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ status }),
  });
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

async function timelineOf(server: TestServer, id: string): Promise<string[]> {
  const body = await (await server.fetch(`/api/leads/${id}`)).json();
  return body.timeline.map((event: { event: string; detail?: string }) =>
    `${event.event}${event.detail ? `: ${event.detail}` : ""}`
  );
}

Deno.test("[capi] a qualified Meta lead is reported once per stage, lead id exact, and its timeline says so", async () => {
  const server = await startTestServer({ env: { META_DATASET_ID: DATASET } });
  try {
    const simulator = server.app.services.simulator!;
    const { simLead, lead } = await metaLead(server);
    for (const status of ["contacted", "qualified", "contacted", "qualified", "won"]) {
      await setStatus(server, lead.id, status);
    }
    const events = await waitFor(() => {
      const sent = simulator.datasetEvents(DATASET);
      return sent.length >= 2 ? sent : null;
    }, "two CRM events");
    // Each stage's report is a job of its own: two stages reached in one catch-up may be sent in
    // either order (Meta orders them by their event_time).
    assert.deepEqual(events.map((event) => event.eventName).sort(), [
      "Converted",
      "Qualified Lead",
    ]);
    for (const event of events) {
      assert.equal(event.actionSource, "system_generated");
      assert.equal(event.leadId, simLead.id);
      assert.equal(event.leadIdIsNumber, true, "lead_id is a JSON number, as Meta documents");
      assert.deepEqual(event.customData, { event_source: "crm", lead_event_source: "Leadline" });
      assert.ok(Math.abs(event.eventTime - Date.now() / 1000) < 600);
    }
    await waitFor(async () => {
      const lines = await timelineOf(server, lead.id);
      return lines.filter((line) => line.startsWith("reported to Meta")).length === 2;
    }, "two timeline lines");
    const lines = await timelineOf(server, lead.id);
    assert.ok(lines.includes("reported to Meta: Qualified Lead (Conversions API)"));
    assert.ok(lines.includes("reported to Meta: Converted (Conversions API)"));
    // Once each, however the lead moves on.
    await setStatus(server, lead.id, "qualified");
    await server.app.services.leadEvents.catchUp();
    await server.app.services.jobs.runDue();
    assert.equal(simulator.datasetEvents(DATASET).length, 2);
    const status = await (await server.fetch("/api/admin/capi")).json();
    assert.equal(status.enabled, true);
    assert.deepEqual(
      status.reports.map((r: { status: string; state: string }) => [r.status, r.state]).sort(),
      [["qualified", "sent"], ["won", "sent"]],
    );

    // A hand-entered lead has no Meta lead id: nothing is sent for it.
    const manual = await server.fetch("/api/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ fullName: "Door Walker", phone: "+15555550111", source: "walk-in" }),
    });
    const manualId = (await manual.json()).id;
    await setStatus(server, manualId, "qualified");
    await server.app.services.leadEvents.catchUp();
    await server.app.services.jobs.runDue();
    assert.equal(simulator.datasetEvents(DATASET).length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("[capi] a mapped stage is reported; a rate limit is retried; a refused token fails with a timeline line", async () => {
  const server = await startTestServer({
    env: { META_DATASET_ID: DATASET, JOB_RETRY_DELAY_MS: "30" },
  });
  try {
    const simulator = server.app.services.simulator!;
    const saved = await server.fetch("/api/admin/capi", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stages: { contacted: "Marketing Qualified Lead", won: "" } }),
    });
    assert.deepEqual((await saved.json()).settings, {
      stages: { contacted: "Marketing Qualified Lead" },
    });

    simulator.injectFault({ path: "dataset_events", status: 429, code: 4, times: 2 });
    const first = await metaLead(server);
    await setStatus(server, first.lead.id, "contacted");
    await waitFor(() => simulator.datasetEvents(DATASET).length === 1, "the retried report");
    assert.equal(simulator.datasetEvents(DATASET)[0].eventName, "Marketing Qualified Lead");
    assert.equal(simulator.calls("dataset_events"), 3);

    simulator.injectFault({ path: "dataset_events", status: 400, code: 190, times: 1 });
    const second = await metaLead(server);
    await setStatus(server, second.lead.id, "contacted");
    await waitFor(async () => {
      const lines = await timelineOf(server, second.lead.id);
      return lines.some((line) =>
        line.startsWith("not reported to Meta: Marketing Qualified Lead")
      );
    }, "the failure on the timeline");
    assert.equal(simulator.datasetEvents(DATASET).length, 1);
    const token = simulator.credentials.accessToken;
    assert.ok(!server.logs.join("\n").includes(token), "the token is never logged");
  } finally {
    await server.close();
  }
});

Deno.test("[capi] off without META_DATASET_ID: a qualified lead is not reported", async () => {
  const server = await startTestServer();
  try {
    const { lead } = await metaLead(server);
    await setStatus(server, lead.id, "qualified");
    await server.app.services.leadEvents.catchUp();
    await server.app.services.jobs.runDue();
    assert.deepEqual(server.app.services.simulator!.datasetEvents(), []);
    assert.equal((await (await server.fetch("/api/admin/capi")).json()).enabled, false);
  } finally {
    await server.close();
  }
});

Deno.test("[capi] the event keeps a lead id past 2^53 exact, and the simulator refuses what Meta would", () => {
  const data = crmEventData({
    eventName: "Qualified Lead",
    eventTime: 1_777_000_000,
    leadgenId: "90071992547409931",
  });
  assert.match(data, /"lead_id":90071992547409931\}/);
  const [event] = parseDatasetEvents("1", data, 1_777_000_100) as Exclude<
    ReturnType<typeof parseDatasetEvents>,
    string
  >;
  assert.equal(event.leadId, "90071992547409931");
  const withoutLead = data.replace('"lead_id":90071992547409931', '"em":"x"');
  assert.match(parseDatasetEvents("1", withoutLead, 1_777_000_100) as string, /lead_id/);
  assert.match(parseDatasetEvents("1", data, 1_777_000_000 + 8 * 86_400) as string, /7 days/);
  const web = data.replace("system_generated", "website");
  assert.match(parseDatasetEvents("1", web, 1_777_000_100) as string, /system_generated/);
});
