// The notifications and integrations pages meet WCAG AA contrast, in every state of their
// buttons and links: the device switch, quiet hours, a destination with its http warning and its
// delivery log, a refused destination and the stage map.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { startWebhookReceiver } from "../_helpers/webhook_receiver.ts";
import { waitFor } from "../_helpers/wait.ts";
import { contrastFailures, contrastSamples } from "./_contrast.ts";

browserTest(
  "[e2e] contrast - notifications and integrations pages meet WCAG AA",
  async (browser) => {
    const server = await startTestServer({ env: { META_DATASET_ID: "1234567890" } });
    const receiver = startWebhookReceiver();
    const page = await browser.newPage();
    try {
      await signIn(page, server);
      const created = await server.fetch("/api/admin/webhooks", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: receiver.url, events: ["lead.created"], description: "CRM" }),
      });
      receiver.secret = (await created.json()).secret;
      receiver.failFirst = 1;
      const simulator = server.app.services.simulator!;
      await (await simulator.deliver([simulator.createLead()], `${server.url}/webhook`)).body
        ?.cancel();
      await waitFor(() => receiver.requests.length >= 1, "a first, refused attempt");

      await page.goto(`${server.url}/notifications`);
      await page.getByRole("button", { name: "Turn on notifications on this device" }).waitFor();
      const samples = await contrastSamples(page, "notifications");
      await page.goto(`${server.url}/settings/integrations`);
      await page.getByLabel("URL (https://)").fill("http://hooks.example.com/x");
      await page.getByRole("button", { name: "Add destination" }).click();
      await page.locator(".field-error").first().waitFor();
      samples.push(...await contrastSamples(page, "integrations (refused destination)"));
      assert.ok(samples.some((sample) => sample.where.includes("Resend")), "the log is measured");
      assert.deepEqual(contrastFailures(samples), []);
    } finally {
      await page.close();
      await server.close();
      await receiver.close();
    }
  },
);
