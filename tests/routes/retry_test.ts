import assert from "node:assert/strict";
import { waitForSettled, withPipeline } from "../_helpers/pipeline.ts";

const FORM = { "content-type": "application/x-www-form-urlencoded", accept: "text/html" };

Deno.test("[e2e] lead page: a failed lead offers a retry form; posting it re-queues and comes back with 303", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", code: 190, status: 400, times: 1 });
    const simLead = sim.createLead({ fields: { fullName: "Rita Retry" } });
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const failed = await waitForSettled(server, simLead.id);
    assert.equal(failed.details, "failed");

    const page = await server.fetch(`/leads/${failed.id}`, { headers: { accept: "text/html" } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(
      html,
      new RegExp(`<form class="retry-form" method="post" action="/api/leads/${failed.id}/retry"`),
    );
    assert.match(html, /<button type="submit"[^>]*>Retry fetching details<\/button>/);
    // The dashboard's row offers the same form, so its Retry works before the island hydrates.
    const dashboard = await (await server.fetch("/", { headers: { accept: "text/html" } })).text();
    assert.match(
      dashboard,
      new RegExp(
        `<form class="retry-form-inline" method="post" action="/api/leads/${failed.id}/retry"`,
      ),
    );

    // The Graph answer is held until the pending page has been seen.
    const details = Promise.withResolvers<void>();
    sim.injectFault({ path: "lead", until: details.promise, times: 1 });
    const posted = await server.fetch(`/api/leads/${failed.id}/retry`, {
      method: "POST",
      headers: FORM,
      body: "",
      redirect: "manual",
    });
    assert.equal(posted.status, 303);
    assert.equal(posted.headers.get("location"), `/leads/${failed.id}`);
    await posted.body?.cancel();
    const queued = await server.app.services.leads.getLead(failed.id);
    assert.equal(queued?.details, "pending", "the lead was re-queued");

    // Back on the lead page while pending: it refreshes itself, without script, until fetched.
    const pending = await server.fetch(`/leads/${failed.id}`, { headers: { accept: "text/html" } });
    assert.equal(pending.headers.get("refresh"), "3");
    assert.doesNotMatch(await pending.text(), /retry-form/, "no retry while it is pending");
    details.resolve();

    const fetched = await waitForSettled(server, simLead.id);
    assert.equal(fetched.details, "fetched");
    assert.equal(fetched.fullName, "Rita Retry");
    const done = await server.fetch(`/leads/${failed.id}`, { headers: { accept: "text/html" } });
    assert.equal(done.headers.get("refresh"), null);
    await done.body?.cancel();

    // A second post from a stale page (nothing to retry) still lands on the page; JSON gets 409.
    const again = await server.fetch(`/api/leads/${failed.id}/retry`, {
      method: "POST",
      headers: FORM,
      body: "",
      redirect: "manual",
    });
    assert.equal(again.status, 303);
    await again.body?.cancel();
    const json = await server.fetch(`/api/leads/${failed.id}/retry`, { method: "POST" });
    assert.equal(json.status, 409);
    assert.match(json.headers.get("content-type") ?? "", /application\/json/);
    await json.body?.cancel();
  });
});

Deno.test("[e2e] retry route: a form post without a session or from another site changes nothing", async () => {
  await withPipeline(async ({ sim, server, webhookUrl }) => {
    sim.injectFault({ path: "lead", code: 190, status: 400, times: 1 });
    const simLead = sim.createLead();
    await (await sim.deliver([simLead], webhookUrl)).body?.cancel();
    const failed = await waitForSettled(server, simLead.id);

    const anonymous = await fetch(`${server.url}/api/leads/${failed.id}/retry`, {
      method: "POST",
      headers: { ...FORM, origin: server.url },
      body: "",
      redirect: "manual",
    });
    // Not signed in: the API's 401 (a 500 or a redirect to the lead would both be wrong).
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const forged = await server.fetch(`/api/leads/${failed.id}/retry`, {
      method: "POST",
      headers: { ...FORM, origin: "https://evil.example" },
      body: "",
      redirect: "manual",
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    assert.equal((await server.app.services.leads.getLead(failed.id))?.details, "failed");
  });
});
