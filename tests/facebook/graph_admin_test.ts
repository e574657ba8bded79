import assert from "node:assert/strict";
import { createGraphAdminClient } from "../../lib/facebook/graph_admin.ts";
import { GraphApiError } from "../../lib/facebook/graph_errors.ts";
import type { GraphSimulator } from "../../lib/graph_sim/mod.ts";
import { withGraphSim } from "../_helpers/graph_sim.ts";

const APP_SECRET = "graph-admin-test-secret";
const TOKEN = "graph-admin-test-token";

const withSim = (fn: (sim: GraphSimulator) => Promise<void>) =>
  withGraphSim({ appSecret: APP_SECRET, accessToken: TOKEN, seed: 9 }, fn);

function client(sim: GraphSimulator, appSecret = APP_SECRET) {
  return createGraphAdminClient({ baseUrl: sim.url, version: "v25.0", appSecret });
}

Deno.test("[graph_admin] debugToken reads type, expiry, scopes and the reason a token is invalid", async () => {
  await withSim(async (sim) => {
    const admin = client(sim);
    const info = await admin.debugToken(TOKEN, `${sim.appId}|${APP_SECRET}`);
    assert.equal(info.appId, sim.appId);
    assert.equal(info.type, "SYSTEM_USER");
    assert.equal(info.isValid, true);
    assert.equal(info.expiresAt, 0);
    assert.ok(info.scopes.includes("pages_manage_metadata"));
    assert.equal(info.error, null);

    sim.setToken({ isValid: false });
    const revoked = await admin.debugToken(TOKEN, `${sim.appId}|${APP_SECRET}`);
    assert.equal(revoked.isValid, false);
    assert.equal(revoked.error?.code, 190);
  });
});

Deno.test("[graph_admin] page access, accounts, forms, subscriptions and subscribing", async () => {
  await withSim(async (sim) => {
    const admin = client(sim);
    const pageId = sim.pages[0].id;
    const access = await admin.getPageAccess(pageId, TOKEN);
    assert.equal(access.name, sim.pages[0].name);
    assert.ok(access.accessToken);
    const accounts = await admin.listAccounts(TOKEN);
    assert.deepEqual(accounts.map((page) => page.id), sim.pages.map((page) => page.id));
    const forms = await admin.listPageForms(pageId, TOKEN);
    assert.deepEqual(forms.map((form) => form.id), sim.pages[0].forms.map((form) => form.id));

    sim.unsubscribePage(pageId);
    assert.deepEqual(await admin.listSubscribedApps(pageId, access.accessToken!), []);
    assert.equal(await admin.subscribeApp(pageId, access.accessToken!, ["leadgen"]), true);
    const apps = await admin.listSubscribedApps(pageId, access.accessToken!);
    assert.deepEqual(apps, [{
      id: sim.appId,
      name: "Leadline (simulated)",
      subscribedFields: ["leadgen"],
    }]);
    await assert.rejects(
      () => admin.listSubscribedApps(pageId, TOKEN),
      (error: GraphApiError) => error.kind === "permission" && error.code === 210,
      "a system-user token is not a page token",
    );
  });
});

Deno.test("[graph_admin] errors never carry the app secret or the tokens", async () => {
  await withSim(async (sim) => {
    const admin = client(sim, "a-wrong-secret-value");
    const error = await admin.debugToken(TOKEN, `${sim.appId}|a-wrong-secret-value`).then(
      () => null,
      (error) => error as GraphApiError,
    );
    assert.ok(error instanceof GraphApiError);
    assert.equal(error.kind, "token");
    assert.doesNotMatch(error.message, /a-wrong-secret-value/);
    assert.doesNotMatch(error.message, new RegExp(TOKEN));
  });
});
