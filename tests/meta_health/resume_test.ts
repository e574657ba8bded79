// Leads waiting on details resume by themselves when a working token is set: the token expires in
// the simulator, a lead fails with 190, the token is restored, the scheduled check (called
// directly) re-queues the lead and it is fetched. Other failures are not retried.

import assert from "node:assert/strict";
import { GraphApiError } from "../../lib/facebook/graph_errors.ts";
import { failureReason } from "../../lib/leads/fetch_details.ts";
import { isAccessFailure } from "../../lib/meta_health/resume.ts";
import { startTestServer } from "../_helpers/app.ts";
import { waitFor } from "../_helpers/wait.ts";
import { secondsFromNow } from "./_helpers.ts";

Deno.test("[meta_health] a lead that failed on an expired token is fetched once the token works again", async () => {
  const server = await startTestServer({ env: { JOB_MAX_ATTEMPTS: "2", JOB_RETRY_DELAY_MS: "0" } });
  try {
    const { services } = server.app;
    const sim = services.simulator!;
    sim.setToken({ expiresAt: secondsFromNow(-60_000) });
    const simLead = sim.createLead();
    const res = await sim.deliver([simLead], `${server.url}/webhook`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const failed = await waitFor(async () => {
      const lead = await services.leads.getLeadByLeadgenId(simLead.id);
      return lead?.details === "failed" ? lead : null;
    }, "the lead to fail on the expired token");
    assert.match(failed.detailsError!, /Meta refused the access token/);

    // The check while the token is still expired changes nothing for the lead.
    let stored = await services.metaHealth.check({ trigger: "cron" });
    assert.equal(stored.resumed, 0);
    assert.ok(stored.report.problems.some((problem) => problem.kind === "token_expired"));
    assert.equal((await services.leads.getLead(failed.id))?.details, "failed");

    sim.setToken({ expiresAt: 0 });
    stored = await services.metaHealth.check({ trigger: "cron" });
    assert.equal(stored.resumed, 1);
    const fetched = await waitFor(async () => {
      const lead = await services.leads.getLead(failed.id);
      return lead?.details === "fetched" ? lead : null;
    }, "the lead to be fetched");
    assert.equal(fetched.fullName, simLead.fields.fullName);
    await waitFor(
      async () => (await services.alerts.listAlerts()).length === 0 ? true : null,
      "the token alerts to clear",
    );

    // Nothing is left waiting: the next check re-queues nothing.
    stored = await services.metaHealth.check({ trigger: "cron" });
    assert.equal(stored.resumed, 0);
  } finally {
    await server.close();
  }
});

Deno.test("[meta_health] a lead Meta does not have is not retried by the check", async () => {
  const server = await startTestServer();
  try {
    const { services } = server.app;
    const sim = services.simulator!;
    sim.injectFault({ path: "lead", code: 100, subcode: 33, message: "does not exist", times: 1 });
    const simLead = sim.createLead();
    const res = await sim.deliver([simLead], `${server.url}/webhook`);
    await res.body?.cancel();
    const failed = await waitFor(async () => {
      const lead = await services.leads.getLeadByLeadgenId(simLead.id);
      return lead?.details === "failed" ? lead : null;
    }, "the lead to fail");
    const stored = await services.metaHealth.check({ trigger: "manual" });
    assert.equal(stored.resumed, 0);
    assert.equal((await services.leads.getLead(failed.id))?.details, "failed");
  } finally {
    await server.close();
  }
});

Deno.test("[meta_health] access failures are told from the reasons fetch_details writes", () => {
  const payload = {
    leadId: "01J0000000000000000000000A",
    leadgenId: "1",
    pageId: "2",
    formId: null,
  };
  const reason = (kind: GraphApiError["kind"], code: number) =>
    failureReason(new GraphApiError({ kind, message: "Meta said no", code }), payload);
  assert.equal(isAccessFailure(reason("token", 190)), true);
  assert.equal(isAccessFailure(reason("permission", 200)), true);
  assert.equal(isAccessFailure(reason("not_found", 100)), false);
  assert.equal(isAccessFailure(reason("bad_request", 100)), false);
  assert.equal(isAccessFailure("Gave up after 8 attempts: timeout"), false);
  assert.equal(isAccessFailure(null), false);
});
