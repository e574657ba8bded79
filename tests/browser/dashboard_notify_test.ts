import assert from "node:assert/strict";
import type { CDPSession, Page } from "playwright-core";
import { browserTest } from "../_helpers/browser.ts";
import { type DashboardFixture, withDashboard } from "./_dashboard.ts";

interface Observed {
  notifications: { title: string; body?: string; tag?: string }[];
  tones: { hz: number; state: string }[];
}

/**
 * Records, without changing them, the page's Notification constructor calls and the start of every
 * WebAudio tone. Runs before the page's own scripts on every load.
 */
function observeAlerts() {
  const observed: Observed = { notifications: [], tones: [] };
  (globalThis as unknown as { observed: Observed }).observed = observed;
  const RealNotification = globalThis.Notification;
  globalThis.Notification = new Proxy(RealNotification, {
    construct(target, args, newTarget) {
      const [title, options] = args as [string, NotificationOptions | undefined];
      observed.notifications.push({ title, body: options?.body, tag: options?.tag });
      return Reflect.construct(target, args, newTarget);
    },
  });
  const start = AudioScheduledSourceNode.prototype.start;
  AudioScheduledSourceNode.prototype.start = function (this: OscillatorNode, ...args) {
    observed.tones.push({ hz: this.frequency?.value, state: this.context.state });
    return start.apply(this, args);
  };
}

function observed(page: Page): Promise<Observed> {
  return page.evaluate(() => (globalThis as unknown as { observed: Observed }).observed);
}

/**
 * Waits until the page has made at least `count` notifications or tones: they come from a module
 * the page loads once the user turns them on, a moment after the click or the lead.
 */
async function made(page: Page, kind: keyof Observed, count: number): Promise<Observed> {
  await page.waitForFunction(
    ([kind, count]) =>
      (globalThis as unknown as { observed: Observed }).observed[kind as keyof Observed].length >=
        (count as number),
    [kind, count],
    { timeout: 10_000 },
  );
  return await observed(page);
}

/** Waits until the choices saved in this browser are `prefs` (saved once the user's click is done). */
async function saved(page: Page, prefs: { notify: boolean; sound: boolean }): Promise<void> {
  await page.waitForFunction(
    (want) => localStorage.getItem("leadline.alerts") === want,
    JSON.stringify(prefs),
    { timeout: 10_000 },
  );
}

function savedPrefs(page: Page): Promise<unknown> {
  return page.evaluate(() => JSON.parse(localStorage.getItem("leadline.alerts") ?? "null"));
}

/** Sends a lead and waits until its row shows the name (details fetched); returns its id. */
async function deliver(fixture: DashboardFixture, page: Page, fullName: string): Promise<string> {
  const simLead = await fixture.sendLead({ fullName });
  const stored = await fixture.server.app.services.leads.getLeadByLeadgenId(simLead.id);
  assert.ok(stored);
  await page.locator(`[data-lead-id="${stored.id}"] .lead-name`, { hasText: fullName })
    .waitFor({ timeout: 10_000 });
  return stored.id;
}

/**
 * The user works in another window: another tab takes the focus (Playwright otherwise tells every
 * page it has the focus). Returns the other tab.
 */
async function lookAway(cdp: CDPSession, page: Page): Promise<Page> {
  await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: false });
  const other = await page.context().newPage();
  await other.bringToFront();
  assert.equal(await page.evaluate(() => document.hasFocus()), false);
  return other;
}

browserTest(
  "[e2e] dashboard - desktop notifications: turned on in the page, one per lead with its name, remembered, off means none",
  async (browser) => {
    await withDashboard(browser, async (fixture) => {
      const page = await fixture.openDashboard({
        async prepare(page) {
          await page.context().grantPermissions(["notifications"]);
          await page.context().addInitScript(observeAlerts);
        },
      });
      const cdp = await page.context().newCDPSession(page);
      // Exact: a row's checkbox is labelled with the lead's name ("Select Sam Sound").
      const toggle = page.getByLabel("Desktop alerts", { exact: true });
      assert.equal(await toggle.isChecked(), false, "off until the user turns it on");
      await toggle.check();
      await saved(page, { notify: true, sound: false });
      assert.deepEqual(await savedPrefs(page), { notify: true, sound: false });

      await lookAway(cdp, page);
      const id = await deliver(fixture, page, "Nina Notify");
      const [note, ...more] = (await made(page, "notifications", 1)).notifications;
      assert.deepEqual(more, [], "one notification per lead");
      assert.match(note.title, /^New lead: Nina Notify, /, "it waited for the lead's name");
      assert.equal(note.tag, `/leads/${id}`);
      assert.ok(note.body, "the form is named");

      // While the page is in front and focused, the toast is enough.
      await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true });
      await deliver(fixture, page, "Fay Focused");
      assert.equal((await observed(page)).notifications.length, 1);

      // Remembered across a reload, and still working.
      await page.reload();
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      assert.equal(await toggle.isChecked(), true, "the choice was remembered");
      await lookAway(cdp, page);
      await deliver(fixture, page, "Rory Remembered");
      assert.deepEqual(
        (await made(page, "notifications", 1)).notifications.map((n) => n.title.split(",")[0]),
        ["New lead: Rory Remembered"],
      );

      // Off: no notification, and that is remembered too.
      await toggle.uncheck();
      await saved(page, { notify: false, sound: false });
      await deliver(fixture, page, "Olga Off");
      assert.equal((await observed(page)).notifications.length, 1, "nothing new when off");
      assert.deepEqual(fixture.pageErrors, []);
    });
  },
);

browserTest(
  "[e2e] dashboard - sound: a chime per new lead when on (remembered), none when off",
  async (browser) => {
    await withDashboard(browser, async (fixture) => {
      const page = await fixture.openDashboard({
        async prepare(page) {
          await page.context().addInitScript(observeAlerts);
        },
      });
      const toggle = page.getByLabel("Sound", { exact: true });
      await toggle.check();
      // Turning it on plays the chime once, so the user hears what it sounds like.
      assert.deepEqual((await made(page, "tones", 2)).tones.map((t) => t.hz), [880, 1320]);
      assert.deepEqual(await savedPrefs(page), { notify: false, sound: true });

      await deliver(fixture, page, "Sam Sound");
      const tones = (await made(page, "tones", 4)).tones;
      assert.deepEqual(tones.map((t) => t.hz), [880, 1320, 880, 1320], "one chime per lead");
      assert.ok(tones.every((t) => t.state === "running"), "the audio was not left suspended");

      await page.reload();
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });
      assert.equal(await toggle.isChecked(), true, "the choice was remembered");
      await page.locator("h1").click(); // any click lets the page play audio again
      await deliver(fixture, page, "Remy Reload");
      assert.deepEqual((await made(page, "tones", 2)).tones.map((t) => t.hz), [880, 1320]);

      await toggle.uncheck();
      await saved(page, { notify: false, sound: false });
      await deliver(fixture, page, "Quinn Quiet");
      assert.equal((await observed(page)).tones.length, 2, "no chime when off");
      assert.deepEqual(fixture.pageErrors, []);
    });
  },
);
