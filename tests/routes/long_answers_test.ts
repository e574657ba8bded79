// Long answers through the real fetch path: measured as KV stores them, stored after one Graph call,
// shortened and flagged only when they cannot fit; permanent errors end the job at once.

import assert from "node:assert/strict";
import { kvValueSize } from "../../lib/kv_value_size.ts";
import { FETCH_LEAD_DETAILS } from "../../lib/leads/fetch_details.ts";
import { leadKey } from "../../lib/leads/keys.ts";
import { waitForSettled, withPipeline } from "../_helpers/pipeline.ts";

Deno.test("[pipeline] 33 KB of answers with one euro sign: stored after exactly one Graph call, shortened and flagged", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    // One answer of 33,001 characters with a "€": UTF-8 counts 33,003 bytes, but KV keeps the
    // string as UTF-16, 66,002 bytes: it cannot fit whole in one value.
    const story = "€" + "a".repeat(33_000);
    const simLead = sim.createLead({ fields: { fullName: "Eva Euro", answers: { story } } });
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const lead = await waitForSettled(server, simLead.id);

    assert.equal(lead.details, "fetched", lead.detailsError ?? "");
    assert.equal(sim.calls("lead"), 1, "one Graph call, no retries");
    assert.equal(lead.fullName, "Eva Euro");
    assert.equal(lead.email, simLead.fields.email);
    assert.equal(lead.phone, simLead.fields.phone);
    const stored = lead.answers.find((answer) => answer.name === "story")!.values[0];
    assert.ok(stored.startsWith("€aaa"));
    assert.match(stored, / \[truncated: \d+ more characters\]$/);
    assert.equal(lead.answersTruncated?.values, 1);
    assert.equal(
      lead.answersTruncated!.characters + stored.indexOf(" [truncated"),
      story.length,
      "says exactly how much was left out",
    );
    // Contact answers are never cut.
    assert.deepEqual(lead.answers.find((answer) => answer.name === "email")?.values, [
      simLead.fields.email,
    ]);
    const raw = (await server.kv.get(leadKey(lead.id))).value;
    assert.ok(kvValueSize(raw) <= 65_536);

    const job = await server.app.services.jobs.getJob(FETCH_LEAD_DETAILS, simLead.id);
    assert.equal(job, null, "the job finished");
    const alerts = await server.app.services.alerts.listAlerts();
    const alert = alerts.find((item) => item.kind === "lead_truncated");
    assert.equal(alert?.leadId, lead.id);
    assert.match(alert?.message ?? "", new RegExp(`Eva Euro, Meta lead ${simLead.id}`));

    // The dashboard shows the problem, naming the lead and linking to it.
    const dashboard = await (await server.fetch("/", { headers: { accept: "text/html" } })).text();
    assert.match(
      dashboard,
      new RegExp(
        `data-alert-kind="lead_truncated"[^>]*>.*Lead stored shortened.*Eva Euro.*` +
          `href="/leads/${lead.id}"`,
        "s",
      ),
    );

    // The lead says so too, on its page and in its JSON.
    const page = await (await server.fetch(`/leads/${lead.id}`, {
      headers: { accept: "text/html" },
    })).text();
    assert.match(page, /data-mark="truncated"/);
    assert.match(page, /Answers shortened to fit storage: 1 answer cut short/);
    const json = await (await server.fetch(`/api/leads/${lead.id}`)).json();
    assert.deepEqual(json.answersTruncated, lead.answersTruncated);
    assert.ok(
      json.timeline.some((event: { event: string }) => event.event === "answers shortened"),
    );
  });
});

Deno.test("[pipeline] long answers with Japanese text that fit once measured right are stored whole", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    const answers: Record<string, string> = {};
    for (let i = 0; i < 32; i++) answers[`question_${i}`] = "b".repeat(1_000);
    answers.comment = "日本" + "c".repeat(1_000);
    const simLead = sim.createLead({ fields: { answers } });
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "fetched");
    assert.equal(sim.calls("lead"), 1);
    assert.equal(lead.answersTruncated, null);
    for (const [name, value] of Object.entries(answers)) {
      assert.deepEqual(lead.answers.find((answer) => answer.name === name)?.values, [value]);
    }
  });
});

Deno.test("[pipeline] a lead Meta says does not exist fails at once: one Graph call, no retries", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", code: 100, subcode: 33 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const lead = await waitForSettled(server, simLead.id);
    assert.equal(lead.details, "failed");
    assert.match(lead.detailsError ?? "", /Meta has no lead/);
    assert.equal(sim.calls("lead"), 1);
    const job = await server.app.services.jobs.getJob(FETCH_LEAD_DETAILS, simLead.id);
    assert.equal(job?.state, "failed");
    assert.equal(job?.job.attempts, 1);
  }, { env: { JOB_MAX_ATTEMPTS: "8" } });
});
