// Webhook silence with an injected clock: leads that only a sweep found raise "webhooks are being
// lost" for their page, and the alert clears when the window has passed. Backfill, leads found
// moments after submission and webhook leads do not count.

import assert from "node:assert/strict";
import { type AlertStore, createAlertStore } from "../../lib/alerts.ts";
import { createGraphAdminClient } from "../../lib/facebook/graph_admin.ts";
import { createJobQueue } from "../../lib/jobs/queue.ts";
import { signBody } from "../../lib/facebook/signature.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { ingestWebhook } from "../../lib/leads/ingest.ts";
import { flagRepeatSubmissions } from "../../lib/leads/duplicates.ts";
import { applyLeadDetails, newMetaLead } from "../../lib/leads/model.ts";
import { createLogger } from "../../lib/log.ts";
import { leadOrigin } from "../../lib/meta_health/lead_origin.ts";
import { createMetaHealthMonitor, type MetaHealthMonitor } from "../../lib/meta_health/monitor.ts";
import { leadFromGraph } from "../../lib/reconcile/graph_lead.ts";
import {
  APP_SECRET,
  type ReconcileFixture,
  reconcileFixture,
  TOKEN,
} from "../reconcile/_helpers.ts";

const MINUTE = 60_000;
const quietLog = createLogger({ level: "silent" });
const HOUR = 60 * MINUTE;

interface LossFixture {
  fx: ReconcileFixture;
  alerts: AlertStore;
  monitor: MetaHealthMonitor;
  /** Sweeps now (the clock's now), however recently the last one ran. */
  sweep(): Promise<number>;
  /** Leads in the simulator on page 0, submitted `agoMs` before the clock's now. */
  submit(count: number, agoMs: number): SimLead[];
  /** Delivers a lead's signed webhook through the real ingestion; resolves to its status. */
  deliver(lead: SimLead): Promise<number>;
}

async function withLoss(fn: (loss: LossFixture) => Promise<void>) {
  const fx = await reconcileFixture(31);
  const alerts = createAlertStore(fx.kv, { now: fx.clock.now });
  const jobs = createJobQueue(fx.kv, { now: () => fx.clock.now().getTime() });
  const monitor = createMetaHealthMonitor({
    kv: fx.kv,
    leads: fx.store,
    jobs,
    alerts,
    log: fx.log,
    graph: createGraphAdminClient({ baseUrl: fx.sim.url, version: "v25.0", appSecret: APP_SECRET }),
    appSecret: APP_SECRET,
    appId: fx.sim.appId,
    tokens: [{ label: "META_ACCESS_TOKEN", token: TOKEN, pageId: null }],
    webhook: { url: null, verifyToken: "unused" },
    listPages: () => Promise.resolve(fx.sim.pages.map((page) => page.id)),
    now: fx.clock.now,
  });
  const reconciler = fx.makeReconciler({ minIntervalMs: 0 });
  try {
    await fn({
      fx,
      alerts,
      monitor,
      sweep: async () => (await reconciler.requestSync()).inserted,
      submit(count, agoMs) {
        const createdTime = Math.floor((fx.clock.now().getTime() - agoMs) / 1000);
        return Array.from(
          { length: count },
          () => fx.sim.createLead({ pageId: fx.sim.pages[0].id, createdTime }),
        );
      },
      async deliver(lead) {
        const body = new TextEncoder().encode(fx.sim.webhookBody([lead]));
        const result = await ingestWebhook(
          {
            kv: fx.kv,
            leads: fx.store,
            jobs,
            appSecret: APP_SECRET,
            log: quietLog,
            now: fx.clock.now,
          },
          body,
          await signBody(APP_SECRET, body),
        );
        return result.outcome === "accepted" ? 200 : 400;
      },
    });
  } finally {
    await jobs.stop();
    await fx.close();
  }
}

async function lostAlerts(alerts: AlertStore): Promise<string[]> {
  return (await alerts.listAlerts()).filter((alert) => alert.kind === "webhooks_lost")
    .map((alert) => alert.pageId!);
}

Deno.test("[meta_health] webhook silence: leads only sweeps found raise the alert, the window's end clears it", async () => {
  await withLoss(async ({ fx, alerts, monitor, sweep, submit, deliver }) => {
    const pageId = fx.sim.pages[0].id;
    // Leads from before Leadline first saw the forms are the first sweep's backfill.
    submit(3, 2 * HOUR);
    assert.equal(await sweep(), 3);
    let stored = await monitor.check({ trigger: "cron" });
    assert.deepEqual(stored.loss.pages, [], "backfill is not webhook loss");

    // Two leads the sweep finds within a minute: their webhooks may still come.
    fx.clock.advance(5 * MINUTE);
    const [early] = submit(1, MINUTE);
    const [late] = submit(1, 0);
    assert.equal(await sweep(), 2);
    stored = await monitor.check({ trigger: "cron" });
    assert.deepEqual(stored.loss.pages, [], "within the grace period nothing is lost yet");
    // One webhook does come, late: that lead was not lost.
    assert.equal(await deliver(late), 200);

    fx.clock.advance(15 * MINUTE);
    stored = await monitor.check({ trigger: "cron" });
    let page = stored.loss.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.foundInWindow, 1);
    assert.deepEqual(page.recent.map((lead) => lead.leadgenId), [early.id]);
    assert.equal(page.lost, false, "one lost lead is below the threshold");
    assert.deepEqual(await lostAlerts(alerts), []);

    // A second lead no webhook brought, within 24 hours: webhooks are being lost for the page.
    fx.clock.advance(3 * HOUR);
    submit(1, 0);
    assert.equal(await sweep(), 1);
    fx.clock.advance(15 * MINUTE);
    stored = await monitor.check({ trigger: "cron" });
    page = stored.loss.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.foundInWindow, 2);
    assert.equal(page.lost, true);
    assert.deepEqual(await lostAlerts(alerts), [pageId]);
    const [alert] = (await alerts.listAlerts()).filter((item) => item.kind === "webhooks_lost");
    assert.match(
      alert.message,
      /Webhooks are being lost for page \d+: in the last 24 hours the sync found 2 leads/,
    );

    // 24 hours after the first of them only one is left in the window: cleared.
    fx.clock.advance(21 * HOUR);
    stored = await monitor.check({ trigger: "cron" });
    page = stored.loss.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.foundInWindow, 1);
    assert.equal(page.foundInRetention, 2);
    assert.deepEqual(await lostAlerts(alerts), []);
  });
});

Deno.test("[meta_health] webhook leads count as the page's last webhook, never as lost", async () => {
  await withLoss(async ({ fx, alerts, monitor, sweep, submit }) => {
    submit(1, 2 * HOUR);
    await sweep();
    fx.clock.advance(HOUR);
    const pageId = fx.sim.pages[0].id;
    // One instant for all three: the clock runs with real time, so a millisecond ticking between
    // them made a later stub the page's last webhook lead (the test failed now and then).
    const receivedAt = fx.clock.now();
    const stubs = [1, 2, 3].map(() => {
      const lead = fx.sim.createLead({
        pageId,
        createdTime: Math.floor(fx.clock.now().getTime() / 1000),
      });
      return newMetaLead({
        leadgenId: lead.id,
        pageId,
        formId: lead.formId,
        adId: null,
        adgroupId: null,
        createdTime: lead.createdTime,
      }, receivedAt);
    });
    await fx.store.insertLeads(stubs);
    fx.clock.advance(10 * MINUTE);
    // The sweep finds them stored already: nothing is new, nothing is lost.
    assert.equal(await sweep(), 0);
    const stored = await monitor.check({ trigger: "cron" });
    const page = stored.loss.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.foundInWindow, 0);
    assert.equal(page.lastWebhookAt, stubs[0].receivedAt);
    assert.deepEqual(await lostAlerts(alerts), []);
  });
});

Deno.test("[meta_health] a lead's origin follows what the webhook and the sweep write on its timeline", () => {
  const now = new Date();
  const webhookLead = newMetaLead({
    leadgenId: "123456789012345",
    pageId: "111",
    formId: "222",
    adId: null,
    adgroupId: null,
    createdTime: null,
  }, now);
  assert.equal(leadOrigin(webhookLead), "webhook");
  const sweptLead = leadFromGraph(
    { id: "123456789012346", created_time: "2026-01-01T00:00:00+0000", field_data: [] },
    {
      formId: "222",
      pageId: "111",
      name: "Form",
      status: "ACTIVE",
      discoveredAt: now.toISOString(),
      watermark: null,
      sweptStatus: null,
      pass: null,
    },
    now,
  );
  assert.equal(leadOrigin(sweptLead), "sweep");
});

Deno.test("[meta_health] a person who submits twice, the second only found by a sweep: flagged as a repeat and counted once as lost; a lead by webhook and sweep is no repeat", async () => {
  await withLoss(async ({ fx, monitor, sweep, submit, deliver }) => {
    const pageId = fx.sim.pages[0].id;
    submit(1, 2 * HOUR);
    await sweep();
    fx.clock.advance(HOUR);
    const deps = { kv: fx.kv, store: fx.store, defaultCountry: "US", now: fx.clock.now };
    // Its details as the fetch job would store them (the fixture runs no jobs).
    const fetched = async (simLead: SimLead) => {
      const lead = (await fx.store.getLeadByLeadgenId(simLead.id))!;
      const { fullName, email, phone } = simLead.fields;
      if (lead.details === "pending") {
        await fx.store.updateLead(
          lead.id,
          (current) => applyLeadDetails(current, { fullName, email, phone }, fx.clock.now()),
        );
      }
      return (await fx.store.getLead(lead.id))!;
    };

    // The first submission comes by webhook; the sweep finds it stored: one lead, no repeat.
    const [first] = submit(1, 0);
    assert.equal(await deliver(first), 200);
    const firstLead = await fetched(first);
    assert.equal(firstLead.receivedVia, "webhook");
    assert.equal(await sweep(), 0);
    assert.equal(await flagRepeatSubmissions(deps), 0, "a lead is not a repeat of itself");

    // Five minutes later the same person submits again; that webhook is lost: only a sweep finds it.
    fx.clock.advance(5 * MINUTE);
    const again = fx.sim.createLead({
      pageId,
      repeatOf: first.id,
      createdTime: Math.floor(fx.clock.now().getTime() / 1000),
    });
    assert.equal(await sweep(), 1);
    const againLead = await fetched(again);
    assert.equal(againLead.receivedVia, "sync");
    assert.equal(await flagRepeatSubmissions(deps), 1);
    const flagged = (await fx.store.getLead(againLead.id))!;
    assert.equal(flagged.possibleDuplicateOf, firstLead.id, "the repeat links the first");
    assert.equal(flagged.receivedVia, "sync", "the flag leaves how it came alone");
    assert.equal(leadOrigin(flagged), "sweep");
    assert.equal((await fx.store.getLead(firstLead.id))?.possibleDuplicateOf, null);

    // The flag is a change of the lead: webhook loss still counts the lead once.
    fx.clock.advance(15 * MINUTE);
    await monitor.check({ trigger: "cron" });
    const stored = await monitor.check({ trigger: "cron" });
    const page = stored.loss.pages.find((item) => item.pageId === pageId)!;
    assert.equal(page.foundInWindow, 1);
    assert.deepEqual(page.recent.map((lead) => lead.leadgenId), [again.id]);
    assert.equal(page.lastWebhookAt, firstLead.receivedAt);

    // Its webhook, very late: still one lead, still one flag.
    assert.equal(await deliver(again), 200);
    assert.equal(await flagRepeatSubmissions(deps), 0);
    assert.equal((await fx.allLeads()).filter((lead) => lead.leadgenId === again.id).length, 1);
  });
});
