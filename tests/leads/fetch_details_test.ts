// The fetch job's handler: idempotent (a second run makes no Graph call), tokens per page, and
// retries no sooner than Meta's usage header asks.
import assert from "node:assert/strict";
import { createAlertStore } from "../../lib/alerts.ts";
import { createGraphClient, pageTokenFor } from "../../lib/facebook/graph_client.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { RetryableJobError } from "../../lib/jobs/errors.ts";
import {
  fetchLeadDetailsHandler,
  type FetchLeadDetailsPayload,
} from "../../lib/leads/fetch_details.ts";
import { formKey } from "../../lib/leads/forms.ts";
import { type Lead, newMetaLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createLogger } from "../../lib/log.ts";
import { graphClientFor, withGraphSim } from "../_helpers/graph_sim.ts";
import { ACCESS_TOKEN, APP_SECRET } from "../_helpers/pipeline.ts";

function quietLog() {
  const lines: string[] = [];
  return { log: createLogger({ level: "debug", sink: (line) => lines.push(line) }), lines };
}

Deno.test("[fetch_details] running the job twice makes one Graph call; tokens per page", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const kv = await Deno.openKv(":memory:");
  const { log } = quietLog();
  try {
    const leads = createLeadStore(kv);
    const alerts = createAlertStore(kv);
    const [pageA, pageB] = sim.pages;
    const meta = { accessToken: ACCESS_TOKEN, pageTokens: { [pageB.id]: "revoked-page-token" } };
    assert.equal(pageTokenFor(meta, pageA.id), ACCESS_TOKEN);
    assert.equal(pageTokenFor(meta, pageB.id), "revoked-page-token");
    const graph = createGraphClient({
      baseUrl: sim.url,
      version: sim.version,
      appSecret: APP_SECRET,
      tokenForPage: (pageId) => pageTokenFor(meta, pageId),
    });
    const run = fetchLeadDetailsHandler({ kv, leads, graph, alerts, log });

    const simLead = sim.createLead({ pageId: pageA.id });
    const stub = newMetaLead({ ...simLead, leadgenId: simLead.id, adgroupId: null }, new Date());
    await leads.insertLeads([stub]);
    const payload: FetchLeadDetailsPayload = {
      leadId: stub.id,
      leadgenId: simLead.id,
      pageId: simLead.pageId,
      formId: simLead.formId,
    };
    await run(payload, { attempt: 1, jobId: "j1" });
    await run(payload, { attempt: 1, jobId: "j2" });
    assert.equal(sim.calls("lead"), 1, "the second run saw the lead fetched and stopped");
    const fetched = await leads.getLead(stub.id);
    assert.equal(fetched?.details, "fetched");
    assert.equal(fetched?.fullName, simLead.fields.fullName);
    assert.equal(
      (await kv.get<{ name: string }>(formKey(simLead.formId))).value?.name,
      fetched?.formName,
    );

    // The page with its own (wrong) token uses it, not the app-wide one.
    const other = sim.createLead({ pageId: pageB.id });
    const otherStub = newMetaLead({ ...other, leadgenId: other.id, adgroupId: null }, new Date());
    await leads.insertLeads([otherStub]);
    await assert.rejects(
      run({ leadId: otherStub.id, leadgenId: other.id, pageId: pageB.id, formId: other.formId }, {
        attempt: 1,
        jobId: "j3",
      }),
    );
    const failed = await leads.getLead(otherStub.id);
    assert.equal(failed?.details, "failed");
    assert.ok(!failed?.detailsError?.includes("revoked-page-token"), "the token is not shown");
    assert.equal((await alerts.listAlerts())[0]?.pageId, pageB.id);
  } finally {
    kv.close();
    await sim.close();
  }
});

Deno.test("[fetch_details] a rate limit retries no sooner than the BUC header asks", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const kv = await Deno.openKv(":memory:");
  const { log } = quietLog();
  try {
    const leads = createLeadStore(kv);
    const graph = createGraphClient({
      baseUrl: sim.url,
      version: sim.version,
      appSecret: APP_SECRET,
      tokenForPage: () => ACCESS_TOKEN,
    });
    const run = fetchLeadDetailsHandler({ kv, leads, graph, alerts: createAlertStore(kv), log });
    sim.injectFault({ path: "lead", code: 80001, bucRegainMinutes: 3, times: 1 });
    const simLead = sim.createLead();
    const stub = newMetaLead({ ...simLead, leadgenId: simLead.id, adgroupId: null }, new Date());
    await leads.insertLeads([stub]);
    const payload = {
      leadId: stub.id,
      leadgenId: simLead.id,
      pageId: simLead.pageId,
      formId: simLead.formId,
    };
    const error = await run(payload, { attempt: 1, jobId: "j" }).then(() => null, (e) => e);
    assert.ok(error instanceof RetryableJobError);
    assert.equal(error.retryAfterMs, 3 * 60_000);
    assert.equal(
      (await leads.getLead(stub.id))?.details,
      "pending",
      "still pending while retrying",
    );
  } finally {
    kv.close();
    await sim.close();
  }
});

Deno.test("[fetch_details] the lead with its answers is shown the moment their commit starts, as it is then stored", async () => {
  await withGraphSim(
    { appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, seed: 22 },
    async (sim) => {
      const kv = await Deno.openKv(":memory:");
      try {
        const leads = createLeadStore(kv);
        const shown: { lead: Lead }[] = [];
        const run = fetchLeadDetailsHandler({
          kv,
          leads,
          graph: graphClientFor(sim, APP_SECRET, ACCESS_TOKEN),
          alerts: createAlertStore(kv),
          log: quietLog().log,
          preview: (lead) => shown.push({ lead }),
        });
        const simLead = sim.createLead({ fields: { fullName: "Petra Preview" } });
        const stub = newMetaLead(
          { ...simLead, leadgenId: simLead.id, adgroupId: null },
          new Date(),
        );
        await leads.insertLeads([stub]);
        await run(
          {
            leadId: stub.id,
            leadgenId: simLead.id,
            pageId: simLead.pageId,
            formId: simLead.formId,
          },
          { attempt: 1, jobId: "j1" },
        );
        assert.equal(shown.length, 1);
        const stored = await leads.getLead(stub.id);
        const { lead } = shown[0];
        assert.equal(lead.fullName, "Petra Preview");
        assert.equal(lead.details, "fetched");
        for (const field of ["fullName", "email", "phone", "details", "formName", "updatedAt"]) {
          assert.equal(lead[field as keyof Lead], stored?.[field as keyof Lead], field);
        }
        assert.deepEqual(lead.answers, stored?.answers);
      } finally {
        kv.close();
      }
    },
  );
});
