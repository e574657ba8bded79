// The integrations page in Chromium, without scripts of its own: an admin adds a webhook
// destination and sees its secret once, watches a lead's events arrive in the delivery log,
// resends one, and maps a stage for the Conversions API.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest, signIn } from "../_helpers/browser.ts";
import { startWebhookReceiver } from "../_helpers/webhook_receiver.ts";
import { waitFor } from "../_helpers/wait.ts";

browserTest(
  "[e2e] integrations - add a webhook destination, see its secret once, its delivery log, resend",
  async (browser) => {
    const server = await startTestServer();
    const receiver = startWebhookReceiver();
    const page = await browser.newPage();
    try {
      await signIn(page, server);
      await page.goto(`${server.url}/settings`);
      await page.getByRole("link", { name: /Integrations/ }).click();
      await page.getByLabel("URL (https://)").fill("http://hooks.example.com/x");
      await page.getByRole("button", { name: "Add destination" }).click();
      await page.getByText("plain http only for this machine or a private network").waitFor();

      await page.getByLabel("URL (https://)").fill(receiver.url);
      await page.getByLabel("lead.assigned").uncheck();
      await page.getByRole("button", { name: "Add destination" }).click();
      const secret = await page.locator("[data-created-secret] code").textContent();
      assert.match(secret!, /^whsec_/);
      receiver.secret = secret!;
      await page.getByText("This address is not encrypted (http)").waitFor();

      const simulator = server.app.services.simulator!;
      const simLead = simulator.createLead();
      await (await simulator.deliver([simLead], `${server.url}/webhook`)).body?.cancel();
      await waitFor(() => receiver.acceptedCount() === 2, "created and details_fetched");

      await page.goto(`${server.url}/settings/integrations`);
      assert.equal(await page.locator("[data-created-secret]").count(), 0, "shown only once");
      assert.ok(!(await page.content()).includes(secret!));
      const rows = page.locator("[data-outbound-log] tbody tr");
      assert.equal(await rows.count(), 2);
      assert.deepEqual(
        await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-status"))),
        ["delivered", "delivered"],
      );
      await rows.last().getByRole("button", { name: "Resend" }).click();
      await page.getByText("Sent again").waitFor();
      await waitFor(
        () => receiver.requests.length === 3 ? true : null,
        "the resent event",
      );
      assert.equal(receiver.requests[2].type, "lead.created");

      await page.getByLabel("Event name for contacted (empty: not reported)").fill("Called");
      await page.getByRole("button", { name: "Save stage map" }).click();
      await page.getByText("Stage map saved.").waitFor();
      const capi = await server.app.services.capi.getSettings();
      assert.equal(capi.stages.contacted, "Called");
      assert.deepEqual(receiver.forged, []);
    } finally {
      await page.close();
      await server.close();
      await receiver.close();
    }
  },
);
