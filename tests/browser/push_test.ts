// Notifications in a real Chromium: the notifications page switches them on (only the push
// service's subscribe is stood in for: FCM is out of reach here), the service worker registers on
// 127.0.0.1, a lead's message (as the push service stand-in decrypted it) delivered to the worker
// through the DevTools Protocol shows a notification, and tapping it opens the lead. The worker
// caches the shell and island bundles and never a page or an API answer.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { listPushSubscriptions } from "../../lib/push/subscriptions.ts";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { startPushService } from "../_helpers/push_service.ts";
import { waitFor } from "../_helpers/wait.ts";

/** Stands in for `PushManager.subscribe` with a subscription on the stand-in (keys made by the test). */
function fakePushManager(
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
) {
  return `(() => {
    const data = ${JSON.stringify(subscription)};
    let current = null;
    const make = (key) => ({
      endpoint: data.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: key },
      toJSON: () => ({ endpoint: data.endpoint, expirationTime: null, keys: data.keys }),
      unsubscribe: async () => { current = null; return true; },
    });
    PushManager.prototype.subscribe = async function (options) {
      const key = options.applicationServerKey;
      current = make(key instanceof ArrayBuffer ? key : new Uint8Array(key).buffer);
      return current;
    };
    PushManager.prototype.getSubscription = async function () { return current; };
  })();`;
}

async function notifications(page: Page) {
  return await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      url: (n.data as { url: string }).url,
    }));
  });
}

browserTest(
  "[e2e] push - the notifications page switches them on; a pushed lead shows a notification that opens it",
  async (browser) => {
    const server = await startTestServer();
    const push = startPushService();
    const context = await browser.newContext();
    try {
      const phone = await push.subscribe();
      await context.grantPermissions(["notifications"], { origin: server.url });
      await context.addInitScript(fakePushManager(phone));
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await signIn(page, server);

      // The header links the page; the head links the manifest.
      await page.goto(`${server.url}/`);
      assert.equal(
        await page.locator('link[rel="manifest"]').getAttribute("href"),
        "/manifest.webmanifest",
      );
      await page.getByRole("link", { name: "Notifications" }).click();
      await page.getByRole("button", { name: "Turn on notifications on this device" }).click();
      await page.getByRole("status").filter({ hasText: "Notifications are on for this device." })
        .waitFor();
      const devices = await listPushSubscriptions(server.kv, server.user.id);
      assert.deepEqual(devices.map((d) => d.endpoint), [phone.endpoint]);

      // The worker is registered for the whole site.
      const cdp = await context.newCDPSession(page);
      const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
      cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => {
        registrations.push(...event.registrations);
      });
      await cdp.send("ServiceWorker.enable");
      const registration = await waitFor(
        () => registrations.find((r) => !r.isDeleted && r.scopeURL === `${server.url}/`),
        "the service worker's registration",
      );

      // A lead arrives by webhook; the push service gets its encrypted message...
      const simulator = server.app.services.simulator!;
      const simLead = simulator.createLead();
      await (await simulator.deliver([simLead], `${server.url}/webhook`)).body?.cancel();
      const [message] = await push.waitFor(1);
      const lead = (await server.app.services.leads.getLeadByLeadgenId(simLead.id))!;

      // ...and hands it to the browser, whose worker (once active) shows it. A message that
      // reaches a worker still starting is sent again: the same tag replaces, never doubles.
      await waitFor(
        () => page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.active?.state)),
        "an active worker",
      ).then((state) => assert.equal(state, "activated"));
      let shown;
      for (let attempt = 1; !shown; attempt++) {
        await cdp.send("ServiceWorker.deliverPushMessage", {
          origin: `${server.url}/`,
          registrationId: registration.registrationId,
          data: JSON.stringify(message.payload),
        });
        [shown] = await waitFor(
          async () => {
            const list = await notifications(page);
            return list.length > 0 ? list : null;
          },
          "the notification",
          3_000,
        ).catch((error) => {
          if (attempt >= 3) throw error;
          return [];
        });
      }
      assert.deepEqual(shown, {
        title: `New lead: ${simLead.fields.fullName}`,
        body: lead.formName,
        tag: `lead-${lead.id}`,
        url: `/leads/${lead.id}`,
      });

      // Tapping it opens the lead (a synthetic click: headless Chromium shows no notification UI).
      const worker = context.serviceWorkers()[0];
      // Runs in the worker, whose globals (NotificationEvent) the page's types do not know.
      await worker.evaluate(`(async () => {
        const [notification] = await self.registration.getNotifications();
        self.dispatchEvent(new NotificationEvent("notificationclick", { notification }));
      })()`);
      await page.waitForURL(`${server.url}/leads/${lead.id}`);
      await page.getByText(simLead.fields.fullName).first().waitFor();
      assert.deepEqual(await notifications(page), [], "the tapped notification is closed");

      // The worker keeps island bundles and versioned static files, never a page or /api answer.
      await page.goto(`${server.url}/`);
      await page.locator("[data-island]").first().waitFor();
      const cached = await waitFor(async () => {
        const urls = await page.evaluate(async () => {
          const cache = await caches.open("leadline-shell-v1");
          return (await cache.keys()).map((request) => new URL(request.url));
        }).then((urls) => urls.map((url) => `${url.pathname}${url.search}`));
        return urls.some((url) => url.startsWith("/_islands/")) ? urls : null;
      }, "island bundles in the worker's cache");
      for (const url of cached) {
        assert.ok(/^\/_islands\/|^\/static\/.+\?v=/.test(url), `cached: ${url}`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await server.close();
      await push.close();
    }
  },
);

browserTest(
  "[e2e] push - the manifest makes the dashboard installable: name, start URL, standalone, icons that load",
  async (browser) => {
    const server = await startTestServer();
    const page = await browser.newPage();
    try {
      const res = await fetch(`${server.url}/manifest.webmanifest`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type")!, /^application\/manifest\+json/);
      const manifest = await res.json();
      assert.equal(manifest.start_url, "/");
      assert.equal(manifest.display, "standalone");
      const sizes = manifest.icons.map((icon: { sizes: string }) => icon.sizes);
      assert.ok(sizes.includes("192x192") && sizes.includes("512x512"));
      for (const icon of manifest.icons) {
        const file = await fetch(`${server.url}${icon.src}`);
        assert.equal(file.status, 200, icon.src);
        assert.equal(file.headers.get("content-type"), icon.type);
        await file.body?.cancel();
      }
      // The worker script is public, for the whole site, and never cached stale.
      const sw = await fetch(`${server.url}/sw.js`);
      assert.equal(sw.status, 200);
      assert.match(sw.headers.get("content-type")!, /javascript/);
      assert.equal(sw.headers.get("cache-control"), "no-cache");
      assert.match(await sw.text(), /notificationclick/);
      // Chromium reads the manifest without errors (its DevTools view of the app).
      await signIn(page, server);
      await page.goto(`${server.url}/`);
      const cdp = await page.context().newCDPSession(page);
      const app = await cdp.send("Page.getAppManifest");
      assert.equal(app.url, `${server.url}/manifest.webmanifest`);
      assert.deepEqual(app.errors, []);
    } finally {
      await page.close();
      await server.close();
    }
  },
);
