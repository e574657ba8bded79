// The live fragments: the team strip and the sync line alone, as HTML for a signed-in user, the
// same markup the pages render, with times as the reader reads them.

import assert from "node:assert/strict";
import { TIME_ZONE_COOKIE } from "../../lib/format/time.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import { reconcileProgressKey, reconcileStateKey } from "../../lib/reconcile/keys.ts";
import type { ReconcileState } from "../../lib/reconcile/types.ts";
import type { SweepProgress } from "../../lib/wire.ts";
import { type TestApp, withTestApp } from "../_helpers/app.ts";

/** The answer's status, content type, cache policy and body. */
async function fragment(app: TestApp, path: string, init?: RequestInit) {
  const res = await app.fetch(path, init);
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    cache: res.headers.get("cache-control"),
    body: await res.text(),
  };
}

const MINUTE = 60_000;

Deno.test("[e2e] GET /fragments/team-strip - the strip alone as HTML, as the dashboard and Reports render it", async () => {
  await withTestApp(async (app) => {
    // Ten minutes old, so "(oldest 10 min)" reads the same on the page and in the fragment.
    const createdAt = new Date(Date.now() - 10 * MINUTE);
    await app.app.services.leads.insertLeads([
      newManualLead({ source: "phone", fullName: "Tia Strip", phone: "+15555550101" }, createdAt),
    ]);
    const agent = await app.addUser("agent");
    const strip = await fragment(app, "/fragments/team-strip", {
      headers: { cookie: agent.cookie },
    });
    assert.equal(strip.status, 200);
    assert.equal(strip.type, "text/html; charset=utf-8");
    assert.equal(strip.cache, "no-store");
    assert.match(
      strip.body,
      /^<section class="team-strip" aria-label="Team speed to lead" data-team-strip="true" data-live-src="\/fragments\/team-strip" data-live-every="30000"><dl class="team-figures">/,
    );
    assert.match(strip.body, /<dd data-stat="leads">1<\/dd>/);
    assert.match(strip.body, /<dd data-stat="waiting">1 \(oldest 10 min\)<\/dd>/);
    assert.match(strip.body, /<tr data-agent><th scope="row">Unassigned<\/th><td>1<\/td>/);
    assert.match(strip.body, /<\/section>$/);
    assert.doesNotMatch(strip.body, /<html|<script|data-island/, "the part alone, no page");

    for (const page of ["/", "/reports"]) {
      const html = await (await app.fetch(page)).text();
      assert.ok(html.includes(strip.body), `${page} renders the same strip`);
    }
  });
});

Deno.test("[e2e] GET /fragments/sync-status - the sync line alone: never, running (refreshed faster), done, paused in the reader's zone", async () => {
  await withTestApp(async (app) => {
    const never = await fragment(app, "/fragments/sync-status");
    assert.equal(never.status, 200);
    assert.equal(never.type, "text/html; charset=utf-8");
    assert.equal(never.cache, "no-store");
    assert.equal(
      never.body,
      '<div class="sync-status muted" data-sync="never" data-live-src="/fragments/sync-status" ' +
        'data-live-every="20000" data-live-boost="[data-action=&quot;sync&quot;]" ' +
        'data-live-boost-every="1500" data-live-boost-for="15000">Not synced with Meta yet.</div>',
    );
    assert.ok(
      (await (await app.fetch("/")).text()).includes(never.body),
      "as the dashboard has it",
    );

    const now = Date.now();
    const progress: SweepProgress = {
      running: true,
      backfill: false,
      formsDone: 1,
      formsTotal: 3,
      leadsFound: 7,
      inserted: 2,
      startedAt: new Date(now - 5_000).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    await app.kv.set(reconcileProgressKey(), progress);
    const running = await fragment(app, "/fragments/sync-status");
    assert.match(
      running.body,
      /^<div class="sync-status" data-sync="running" data-live-src="\/fragments\/sync-status" data-live-every="1500" /,
    );
    assert.match(
      running.body,
      /<span>Syncing with Meta: 1 of 3 forms, 7 leads found<\/span><progress max="3" value="1"><\/progress><\/div>$/,
    );

    // Done five minutes ago, paused by Meta until 14:30 UTC: "5 min ago" is the server's, at
    // each refresh, and the time of day is the reader's (the zone cookie the dashboard sets).
    await app.kv.set(reconcileProgressKey(), { ...progress, running: false });
    const state: ReconcileState = {
      lastResult: {
        forms: 3,
        scanned: 12,
        inserted: 2,
        startedAt: new Date(now - 6 * MINUTE).toISOString(),
        finishedAt: new Date(now - 5 * MINUTE).toISOString(),
        skipped: false,
        error: "Meta asked us to slow down",
      },
      resumeAt: "2030-01-15T14:30:00.000Z",
      pageProblems: [],
    };
    await app.kv.set(reconcileStateKey(), state);
    const paused = await fragment(app, "/fragments/sync-status", {
      headers: {
        cookie: `${app.user.cookie}; ${TIME_ZONE_COOKIE}=Asia%2FKolkata`,
        "accept-language": "en-GB,en;q=0.8",
      },
    });
    assert.match(
      paused.body,
      /^<div class="sync-status muted" data-sync="done" title="Meta asked us to slow down" data-live-src="\/fragments\/sync-status" data-live-every="20000" /,
    );
    assert.match(
      paused.body,
      />Last sync with Meta 5 min ago: 2 new leads \(12 checked in 3 forms\)<span>; paused by Meta, resumes at 20:00:00<\/span><\/div>$/,
    );
    const inNewYork = await fragment(app, "/fragments/sync-status", {
      headers: {
        cookie: `${app.user.cookie}; ${TIME_ZONE_COOKIE}=America%2FNew_York`,
        "accept-language": "en-US",
      },
    });
    assert.match(inNewYork.body, /resumes at 9:30:00\sAM<\/span>/);
  });
});

Deno.test("[e2e] GET /fragments/* - anonymous visitors are sent to sign in, as on every page", async () => {
  await withTestApp(async (app) => {
    for (const path of ["/fragments/team-strip", "/fragments/sync-status"]) {
      const res = await app.app.fetch(new Request(`http://localhost${path}`));
      await res.body?.cancel();
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get("location"), `/login?next=${encodeURIComponent(path)}`);
      assert.equal(res.headers.get("cache-control"), "no-store");
    }
  });
});
