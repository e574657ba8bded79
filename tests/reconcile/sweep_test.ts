import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { createJobQueue } from "../../lib/jobs/queue.ts";
import { getKnownForm } from "../../lib/leads/forms.ts";
import { markLeadDetailsFailed, newMetaLead } from "../../lib/leads/model.ts";
import { reconcileCronHandler } from "../../lib/reconcile/cron.ts";
import { RESUME_SYNC_JOB } from "../../lib/reconcile/reconciler.ts";
import { nowSeconds, reconcileFixture } from "./_helpers.ts";

const DAY = 24 * 60 * 60;

Deno.test("[reconcile] leads only in the simulator are found across several pages, with their answers", async () => {
  const f = await reconcileFixture();
  try {
    const form = f.sim.pages[0].forms[0];
    const held = Array.from(
      { length: 25 },
      (_, i) => f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 3600 - i }),
    );
    const other = f.sim.createLead({ pageId: f.sim.pages[1].id, createdTime: nowSeconds() - 60 });
    const result = await f.makeReconciler().requestSync();

    assert.equal(result.skipped, false);
    assert.equal(result.error, undefined);
    assert.equal(result.inserted, 26);
    assert.equal(result.scanned, 26);
    // Page 0 has 3 active forms and 1 archived one (swept once); page 1 has 2.
    assert.equal(result.forms, 6);
    assert.ok(Date.parse(result.finishedAt) >= Date.parse(result.startedAt));
    const formCalls = f.listCalls.filter((call) => call.formId === form.id);
    assert.equal(formCalls.length, 3, "25 leads at 10 a page are three pages");
    assert.equal(formCalls[1].after !== undefined && formCalls[2].after !== undefined, true);
    assert.equal(f.sim.calls("lead"), 0, "the listing carried field_data: no second Graph call");

    const stored = await f.allLeads();
    assert.deepEqual(
      new Set(stored.map((lead) => lead.leadgenId)),
      new Set([...held, other].map((lead) => lead.id)),
    );
    const sample = stored.find((lead) => lead.leadgenId === held[3].id)!;
    assert.equal(sample.source, "meta");
    assert.equal(sample.details, "fetched");
    assert.equal(sample.fullName, held[3].fields.fullName);
    assert.equal(sample.email, held[3].fields.email);
    assert.equal(sample.phone, held[3].fields.phone);
    assert.equal(sample.formId, form.id);
    assert.equal(sample.formName, form.name);
    assert.equal(sample.pageId, f.sim.pages[0].id);
    assert.equal(sample.createdTime, new Date(held[3].createdTime * 1000).toISOString());
    assert.equal((await f.store.listTimeline(sample.id)).events[0].detail, "sync with Meta");
    // Every insert has a change record, so open dashboards get it live.
    const changes = await f.store.listChangesSince(0, 100);
    assert.equal(changes.changes.filter((change) => change.kind === "created").length, 26);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a second sweep inserts nothing and lists only since the watermark minus the overlap", async () => {
  const f = await reconcileFixture();
  try {
    for (let i = 0; i < 12; i++) f.sim.createLead({ createdTime: nowSeconds() - 100 - i });
    const reconciler = f.makeReconciler({ minIntervalMs: 0 });
    const first = await reconciler.requestSync();
    assert.equal(first.inserted, 12);
    const changesBefore = await f.store.getChangeHead();
    f.listCalls.length = 0;

    const second = await reconciler.requestSync();
    assert.equal(second.skipped, false);
    assert.equal(second.inserted, 0);
    assert.equal(second.scanned, 12, "the overlap lists the last 10 minutes again");
    assert.equal(await f.store.getChangeHead(), changesBefore, "no change records either");
    const firstStart = Math.floor(Date.parse(first.startedAt) / 1000);
    for (const call of f.listCalls) assert.equal(call.since, firstStart - 600);
    assert.equal((await f.allLeads()).length, 12);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a lead created during a sweep is found by the next one (overlap)", async () => {
  const f = await reconcileFixture();
  try {
    const form = f.sim.pages[0].forms[0];
    for (let i = 0; i < 15; i++) {
      f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 50 - i });
    }
    let late: string[] = [];
    let sweepStart = 0;
    f.afterList.push((call) => {
      if (call.formId !== form.id || late.length > 0) return;
      // Meta shows a lead submitted a little before the sweep began only now (behind the cursor),
      // and another one is submitted while the sweep runs.
      late = [
        f.sim.createLead({ formId: form.id, createdTime: sweepStart - 30 }).id,
        f.sim.createLead({ formId: form.id }).id,
      ];
    });
    const reconciler = f.makeReconciler({ minIntervalMs: 0 });
    sweepStart = nowSeconds();
    const first = await reconciler.requestSync();
    assert.equal(first.inserted, 15);
    for (const id of late) assert.equal(await f.store.getLeadByLeadgenId(id), null);

    const second = await reconciler.requestSync();
    assert.equal(second.inserted, 2);
    for (const id of late) assert.ok(await f.store.getLeadByLeadgenId(id));
    assert.equal((await f.allLeads()).length, 17);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a rate limit mid-sweep pauses it, and it resumes from its cursor without loss or duplicates", async () => {
  const f = await reconcileFixture();
  try {
    const form = f.sim.pages[0].forms[1];
    const held = Array.from(
      { length: 30 },
      (_, i) => f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 200 - i }),
    );
    let injected = false;
    f.afterList.push((call) => {
      if (call.formId === form.id && !injected) {
        injected = true;
        f.sim.injectFault({ path: "form_leads", code: 80005, times: 1, bucRegainMinutes: 3 });
      }
    });
    const reconciler = f.makeReconciler({ minIntervalMs: 0 });
    const paused = await reconciler.requestSync();
    assert.equal(paused.skipped, false);
    assert.equal(paused.inserted, 10, "the first page was stored before the pause");
    assert.match(paused.error ?? "", /paused by a Meta rate limit/);
    const status = await reconciler.status();
    assert.ok(status.resumeAt);
    // Meta said 3 minutes (X-Business-Use-Case-Usage); the pause honours it.
    const pauseMs = Date.parse(status.resumeAt) - Date.parse(paused.finishedAt);
    assert.ok(pauseMs >= 3 * 60_000 - 1000 && pauseMs <= 3 * 60_000 + 1000, `${pauseMs}`);

    const callsBefore = f.sim.calls();
    const early = await reconciler.requestSync();
    assert.equal(early.skipped, true, "no Meta call before the pause is over");
    // The skipped answer also says why and when syncing may run again (checked on its own below).
    const { skipReason, lastFinishedAt, nextAllowedAt, checkedAt: _, ...lastResult } = early;
    assert.deepEqual({ ...lastResult, skipped: false }, paused);
    assert.equal(skipReason, "paused");
    assert.equal(lastFinishedAt, paused.finishedAt);
    assert.equal(nextAllowedAt, status.resumeAt);
    assert.equal(f.sim.calls(), callsBefore);

    f.clock.advance(3 * 60_000 + 1000);
    f.listCalls.length = 0;
    const resumed = await reconciler.requestSync();
    assert.equal(resumed.skipped, false);
    assert.equal(resumed.error, undefined);
    assert.equal(resumed.inserted, 20);
    const resumedCalls = f.listCalls.filter((call) => call.formId === form.id);
    assert.ok(resumedCalls[0].after, "the form's pass went on from its stored cursor");
    assert.equal(resumedCalls.length, 2);

    const stored = (await f.allLeads()).filter((lead) => lead.formId === form.id);
    assert.equal(stored.length, 30);
    assert.deepEqual(new Set(stored.map((lead) => lead.leadgenId)), new Set(held.map((l) => l.id)));
    assert.equal((await reconciler.status()).resumeAt, null);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] transient failures are retried once, then pause the sweep", async () => {
  const f = await reconcileFixture();
  try {
    f.sim.createLead({ createdTime: nowSeconds() - 10 });
    f.sim.injectFault({ path: "page_forms", status: 503, times: 1 });
    const reconciler = f.makeReconciler({ minIntervalMs: 0, transientPauseMs: 45_000 });
    const ok = await reconciler.requestSync();
    assert.equal(ok.error, undefined, "one 503 is retried at once");
    assert.equal(ok.inserted, 1);

    f.sim.injectFault({ path: "form_leads", status: 500, times: 2 });
    const paused = await reconciler.requestSync();
    assert.match(paused.error ?? "", /Sync paused by Meta errors/);
    const status = await reconciler.status();
    assert.equal(Date.parse(status.resumeAt!) - Date.parse(paused.finishedAt) >= 44_000, true);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] ten concurrent sync requests cause one sweep", async () => {
  const f = await reconcileFixture();
  try {
    for (let i = 0; i < 5; i++) f.sim.createLead({ createdTime: nowSeconds() - i });
    const reconciler = f.makeReconciler();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => reconciler.requestSync({ trigger: "auto" })),
    );
    assert.equal(f.sim.calls("page_forms"), 2, "one discovery per page, once");
    assert.equal(f.sim.calls("form_leads"), 6, "each of the 6 forms listed once");
    for (const result of results) assert.deepEqual(result, results[0]);
    assert.equal(results[0].inserted, 5);

    // Within the minimum interval: the last result, no Meta call.
    const calls = f.sim.calls();
    const again = await reconciler.requestSync();
    assert.equal(again.skipped, true);
    assert.equal(again.inserted, 5);
    assert.equal(again.startedAt, results[0].startedAt);
    assert.equal(f.sim.calls(), calls);

    f.clock.advance(61_000);
    assert.equal((await reconciler.requestSync()).skipped, false, "after the interval it sweeps");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a skipped sync says when the last sweep finished and when the next may run", async () => {
  const f = await reconcileFixture();
  try {
    const reconciler = f.makeReconciler({ minIntervalMs: 60_000 });
    const first = await reconciler.requestSync();
    assert.equal(first.skipped, false);
    assert.equal(first.skipReason, undefined, "a sweep that ran carries no skip fields");
    f.clock.advance(12_000);

    const again = await reconciler.requestSync();
    assert.equal(again.skipped, true);
    assert.equal(again.skipReason, "recent");
    assert.equal(again.lastFinishedAt, first.finishedAt);
    assert.equal(
      Date.parse(again.nextAllowedAt!),
      Date.parse(first.finishedAt) + 60_000,
      "the next sweep may run a minimum interval after the last one finished",
    );
    const sinceLast = Date.parse(again.checkedAt!) - Date.parse(again.lastFinishedAt!);
    assert.ok(
      sinceLast >= 12_000 && sinceLast < 20_000,
      `checkedAt is the server's now (${sinceLast})`,
    );
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] two processes on one KV: the lock lets one sweep; the other returns skipped", async () => {
  const f = await reconcileFixture();
  try {
    f.sim.createLead({ createdTime: nowSeconds() - 5 });
    const processA = f.makeReconciler();
    const processB = f.makeReconciler();
    const { promise: bDone, resolve: releaseA } = Promise.withResolvers<void>();
    let held = false;
    f.beforeDiscover.push(async () => {
      if (held) return;
      held = true;
      await bDone; // A holds the lock while B asks.
    });
    const a = processA.requestSync();
    await waitFor(() => held, "process A to hold the sweep lock");
    const b = await processB.requestSync();
    releaseA();
    const resultA = await a;
    assert.equal(resultA.skipped, false);
    assert.equal(resultA.inserted, 1);
    assert.equal(b.skipped, true);
    assert.equal(b.skipReason, "running");
    assert.equal(b.nextAllowedAt, null, "when depends on the running sweep");
    assert.equal(b.inserted, 0, "nothing had finished yet");
    assert.equal(f.sim.calls("page_forms"), 2);
    // B's next request sees A's result within the interval.
    const later = await processB.requestSync();
    assert.equal(later.skipped, true);
    assert.equal(later.startedAt, resultA.startedAt);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] an expired lock left by a crashed process is taken over", async () => {
  const f = await reconcileFixture();
  try {
    await f.kv.set(["reconcile_lock"], { owner: "crashed", until: Date.now() - 1 });
    const result = await f.makeReconciler().requestSync();
    assert.equal(result.skipped, false);
    assert.equal((await f.kv.get(["reconcile_lock"])).value, null, "released after the sweep");

    await f.kv.set(["reconcile_lock"], { owner: "alive", until: Date.now() + 60_000 });
    f.clock.advance(120_000);
    const blocked = await f.makeReconciler().requestSync();
    assert.equal(blocked.skipped, false, "the live lock's until has passed on this clock");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] the cron handler runs a sweep", async () => {
  const f = await reconcileFixture();
  try {
    f.sim.createLead({ createdTime: nowSeconds() - 5 });
    const reconciler = f.makeReconciler();
    const result = await reconcileCronHandler(reconciler)();
    assert.equal(result.skipped, false);
    assert.equal(result.inserted, 1);
    assert.ok(f.log.lines.some((line) => line.fields?.trigger === "cron"));
    assert.equal((await reconciler.status()).lastResult?.inserted, 1);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] the first sweep backfills 90 days and reports its progress", async () => {
  const f = await reconcileFixture();
  try {
    const page = f.sim.pages[1];
    const recent = f.sim.createLead({
      formId: page.forms[0].id,
      createdTime: nowSeconds() - 80 * DAY,
    });
    const old = f.sim.createLead({
      formId: page.forms[0].id,
      createdTime: nowSeconds() - 100 * DAY,
    });
    for (let i = 0; i < 3; i++) {
      f.sim.createLead({ formId: page.forms[1].id, createdTime: nowSeconds() - i * DAY });
    }
    const reconciler = f.makeReconciler({ listPages: () => Promise.resolve([page.id]) });
    const seen: { formsDone: number; formsTotal: number; leadsFound: number; backfill: boolean }[] =
      [];
    f.afterList.push(async () => {
      const { progress } = await reconciler.status();
      assert.equal(progress?.running, true);
      seen.push({ ...progress! });
    });
    const result = await reconciler.requestSync();
    assert.equal(result.inserted, 4);
    assert.ok(await f.store.getLeadByLeadgenId(recent.id));
    assert.equal(await f.store.getLeadByLeadgenId(old.id), null, "older than 90 days");

    assert.deepEqual(seen.map((p) => [p.formsDone, p.formsTotal, p.backfill]), [
      [0, 2, true],
      [1, 2, true],
    ]);
    const { progress } = await reconciler.status();
    assert.deepEqual(
      { ...progress, startedAt: "", updatedAt: "" },
      {
        running: false,
        backfill: true,
        formsDone: 2,
        formsTotal: 2,
        leadsFound: 4,
        inserted: 4,
        startedAt: "",
        updatedAt: "",
      },
    );

    f.clock.advance(61_000);
    await reconciler.requestSync();
    assert.equal((await reconciler.status()).progress?.backfill, false, "later sweeps are not");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] backfill length is configurable", async () => {
  const f = await reconcileFixture();
  try {
    f.sim.createLead({ createdTime: nowSeconds() - 10 * DAY });
    f.sim.createLead({ createdTime: nowSeconds() - 2 * DAY });
    const result = await f.makeReconciler({ backfillDays: 7 }).requestSync();
    assert.equal(result.inserted, 1);
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] an archived form is swept once, then left alone", async () => {
  const f = await reconcileFixture();
  try {
    const archived = f.sim.pages[0].forms.find((form) => form.status === "ARCHIVED")!;
    f.sim.createLead({ formId: archived.id, createdTime: nowSeconds() - 5 * DAY });
    const reconciler = f.makeReconciler({ minIntervalMs: 0 });
    assert.equal((await reconciler.requestSync()).inserted, 1);
    f.listCalls.length = 0;
    await reconciler.requestSync();
    assert.equal(f.listCalls.some((call) => call.formId === archived.id), false);
    assert.equal(f.listCalls.length, 5, "the five active forms");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a new form found later is backfilled on its own", async () => {
  const f = await reconcileFixture();
  try {
    const reconciler = f.makeReconciler({ minIntervalMs: 0 });
    await reconciler.requestSync();
    const form = f.sim.createForm({ pageId: f.sim.pages[1].id, name: "Winter service" });
    const lead = f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - 30 * DAY });
    const result = await reconciler.requestSync();
    assert.equal(result.inserted, 1);
    const stored = await f.store.getLeadByLeadgenId(lead.id);
    assert.equal(stored?.formName, "Winter service");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] discovered form names fill the form cache the webhook path reads", async () => {
  const f = await reconcileFixture();
  try {
    await f.makeReconciler().requestSync();
    const form = f.sim.pages[1].forms[1];
    const cached = await getKnownForm(f.kv, form.id);
    assert.equal(cached?.name, form.name);
    assert.equal(cached?.pageId, f.sim.pages[1].id);
    assert.equal(cached?.status, "ACTIVE");
  } finally {
    await f.close();
  }
});

Deno.test("[reconcile] a paused sweep schedules a resume job that picks up where it stopped", async () => {
  const f = await reconcileFixture();
  const jobs = createJobQueue(f.kv, { now: () => f.clock.now().getTime(), log: f.log });
  try {
    const form = f.sim.pages[1].forms[0];
    for (let i = 0; i < 15; i++) {
      f.sim.createLead({ formId: form.id, createdTime: nowSeconds() - i });
    }
    f.sim.injectFault({ path: "page_forms", code: 4, times: 1 });
    const reconciler = f.makeReconciler({ jobs, rateLimitPauseMs: 120_000 });
    reconciler.registerJobs();
    const paused = await reconciler.requestSync();
    assert.match(paused.error ?? "", /rate limit/);
    assert.equal(paused.inserted, 0);
    const { resumeAt } = await reconciler.status();
    const job = await jobs.getJob(RESUME_SYNC_JOB, resumeAt!);
    assert.equal(job?.state, "waiting");
    assert.equal(job?.job.dueAt, Date.parse(resumeAt!));

    assert.equal((await jobs.runDue()).claimed, 0, "not due yet");
    f.clock.advance(120_000);
    assert.equal((await jobs.runDue()).succeeded, 1);
    const status = await reconciler.status();
    assert.equal(status.resumeAt, null);
    assert.equal(status.lastResult?.inserted, 15);
    assert.equal(status.lastResult?.error, undefined);
  } finally {
    await jobs.stop();
    await f.close();
  }
});

Deno.test("[reconcile] webhook leads still without answers (failed, or pending after a lost job) are filled from the listing", async () => {
  const f = await reconcileFixture();
  try {
    const [failedOne, pendingOne] = [0, 1].map(() =>
      f.sim.createLead({ createdTime: nowSeconds() - 300 })
    );
    const stub = (simLead: typeof failedOne) =>
      newMetaLead({
        leadgenId: simLead.id,
        pageId: simLead.pageId,
        formId: simLead.formId,
        adId: simLead.adId,
        adgroupId: null,
        createdTime: simLead.createdTime,
      }, new Date());
    await f.store.insertLeads([
      markLeadDetailsFailed(stub(failedOne), "Graph API kept failing", new Date()),
      stub(pendingOne),
    ]);

    const result = await f.makeReconciler().requestSync();
    assert.equal(result.inserted, 0, "both were already known");
    for (const simLead of [failedOne, pendingOne]) {
      const lead = await f.store.getLeadByLeadgenId(simLead.id);
      assert.equal(lead?.details, "fetched");
      assert.equal(lead?.fullName, simLead.fields.fullName);
      assert.equal(lead?.detailsError, null);
    }
    assert.equal(f.sim.calls("lead"), 0, "the listing's answers were used");
  } finally {
    await f.close();
  }
});
