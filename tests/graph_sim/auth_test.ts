// The simulator's tokens and subscriptions: debug_token, page tokens, subscribed_apps, /me/accounts,
// expiry, revocation and missing scopes, and their control API.

import assert from "node:assert/strict";
import { hmacSha256Hex } from "../../lib/crypto.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";

const APP_SECRET = "sim-auth-app-secret";
const TOKEN = "sim-auth-system-user-token";

async function withSim(fn: (sim: GraphSimulator) => Promise<void>): Promise<void> {
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: TOKEN,
    verifyToken: "sim-verify",
    seed: 5,
  });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function graph(
  sim: GraphSimulator,
  path: string,
  options: { token?: string; method?: string; params?: Record<string, string> } = {},
) {
  const token = options.token ?? TOKEN;
  const url = new URL(`${sim.url}/v25.0/${path}`);
  for (const [name, value] of Object.entries(options.params ?? {})) {
    url.searchParams.set(name, value);
  }
  url.searchParams.set("access_token", token);
  url.searchParams.set("appsecret_proof", await hmacSha256Hex(APP_SECRET, token));
  const response = await fetch(url, { method: options.method ?? "GET" });
  return { status: response.status, body: await response.json() };
}

function appToken(sim: GraphSimulator): string {
  return `${sim.appId}|${APP_SECRET}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

Deno.test("[graph_sim] debug_token: type, expiry, scopes; expired, revoked and unknown tokens", async () => {
  await withSim(async (sim) => {
    const ok = await graph(sim, "debug_token", {
      token: appToken(sim),
      params: { input_token: TOKEN },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.app_id, sim.appId);
    assert.equal(ok.body.data.type, "SYSTEM_USER");
    assert.equal(ok.body.data.is_valid, true);
    assert.equal(ok.body.data.expires_at, 0);
    assert.ok(ok.body.data.scopes.includes("leads_retrieval"));

    const expiresAt = nowSeconds() + 3 * 86400;
    sim.setToken({ expiresAt, scopes: ["pages_show_list"] });
    const soon = await graph(sim, "debug_token", {
      token: appToken(sim),
      params: { input_token: TOKEN },
    });
    assert.equal(soon.body.data.expires_at, expiresAt);
    assert.deepEqual(soon.body.data.scopes, ["pages_show_list"]);

    sim.setToken({ expiresAt: nowSeconds() - 60 });
    const expired = await graph(sim, "debug_token", {
      token: appToken(sim),
      params: { input_token: TOKEN },
    });
    assert.equal(expired.status, 200, "a bad input token is not an error of the call");
    assert.equal(expired.body.data.is_valid, false);
    assert.equal(expired.body.data.error.code, 190);
    const call = await graph(sim, `${sim.pages[0].id}/leadgen_forms`);
    assert.equal(call.status, 400);
    assert.equal(call.body.error.code, 190);
    assert.equal(call.body.error.error_subcode, 463);

    sim.setToken({ expiresAt: 0, isValid: false });
    const revoked = await graph(sim, `${sim.pages[0].id}/leadgen_forms`);
    assert.equal(revoked.body.error.code, 190);
    assert.equal(revoked.body.error.error_subcode, 460);

    const unknown = await graph(sim, "debug_token", {
      token: appToken(sim),
      params: { input_token: "nonsense" },
    });
    assert.equal(unknown.body.data.is_valid, false);
    assert.equal(unknown.body.data.error.code, 190);

    const wrongApp = await graph(sim, "debug_token", {
      token: `${sim.appId}|wrong-secret`,
      params: { input_token: TOKEN },
    });
    assert.equal(wrongApp.status, 400);
    assert.equal(wrongApp.body.error.code, 190, "only our app token (or a valid token) may ask");
  });
});

Deno.test("[graph_sim] a missing scope refuses lead reads with (#200)", async () => {
  await withSim(async (sim) => {
    const lead = sim.createLead();
    sim.setToken({ scopes: ["pages_show_list", "pages_manage_metadata"] });
    const refused = await graph(sim, lead.id);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 200);
    assert.match(refused.body.error.message, /leads_retrieval/);
  });
});

Deno.test("[graph_sim] page tokens, /me/accounts and subscribed_apps", async () => {
  await withSim(async (sim) => {
    const pageId = sim.pages[0].id;
    const node = await graph(sim, pageId, { params: { fields: "name,access_token" } });
    assert.equal(node.status, 200);
    assert.equal(node.body.name, sim.pages[0].name);
    const pageToken = node.body.access_token as string;
    assert.ok(pageToken && pageToken !== TOKEN);
    assert.equal(sim.tokenState(pageToken)?.type, "PAGE");

    const accounts = await graph(sim, "me/accounts", { params: { fields: "id,name" } });
    assert.deepEqual(
      accounts.body.data.map((page: { id: string }) => page.id),
      sim.pages.map((p) => p.id),
    );

    const needsPageToken = await graph(sim, `${pageId}/subscribed_apps`);
    assert.equal(needsPageToken.body.error.code, 210);

    const listed = await graph(sim, `${pageId}/subscribed_apps`, { token: pageToken });
    assert.deepEqual(listed.body.data, [{
      id: sim.appId,
      name: "Leadline (simulated)",
      subscribed_fields: ["leadgen"],
    }]);

    sim.unsubscribePage(pageId);
    assert.deepEqual((await graph(sim, `${pageId}/subscribed_apps`, { token: pageToken })).body, {
      data: [],
    });
    const subscribed = await graph(sim, `${pageId}/subscribed_apps`, {
      token: pageToken,
      method: "POST",
      params: { subscribed_fields: "leadgen" },
    });
    assert.deepEqual(subscribed.body, { success: true });
    assert.ok(sim.subscribedApps(pageId)[0].subscribedFields.includes("leadgen"));

    // A page token follows the token it came from.
    sim.setToken({ expiresAt: nowSeconds() - 1 });
    const expired = await graph(sim, `${pageId}/subscribed_apps`, { token: pageToken });
    assert.equal(expired.body.error.code, 190);
  });
});

Deno.test("[graph_sim] control API: credentials, token changes, subscriptions, no webhook for an unsubscribed page", async () => {
  await withSim(async (sim) => {
    const control = (path: string, init: RequestInit = {}) =>
      fetch(`${sim.url}/__sim/${path}`, init).then(async (res) => ({
        status: res.status,
        body: await res.json(),
      }));
    const credentials = await control("credentials");
    assert.deepEqual(credentials.body, {
      appId: sim.appId,
      appSecret: APP_SECRET,
      accessToken: TOKEN,
      verifyToken: "sim-verify",
    });

    const patched = await control("token", {
      method: "PATCH",
      body: JSON.stringify({ expiresAt: 1234, scopes: ["leads_retrieval"] }),
    });
    assert.equal(patched.status, 200);
    assert.equal(sim.tokenState()?.expiresAt, 1234);
    const bad = await control("token", {
      method: "PATCH",
      body: JSON.stringify({ expiresAt: -1 }),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /expiresAt/);

    const pageId = sim.pages[1].id;
    const removed = await control(`pages/${pageId}/subscription`, { method: "DELETE" });
    assert.deepEqual(removed.body.subscribedApps, []);
    let received = 0;
    const receiver = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
      received++;
      return new Response("ok");
    });
    try {
      const created = await control("leads", {
        method: "POST",
        body: JSON.stringify({
          pageId,
          deliver: true,
          callbackUrl: `http://127.0.0.1:${receiver.addr.port}/webhook`,
        }),
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.deliveries[0].status, null);
      assert.match(created.body.deliveries[0].error, /not subscribed/);
      assert.equal(received, 0, "Meta sends nothing for a page without our subscription");

      const again = await control(`pages/${pageId}/subscription`, { method: "PUT" });
      assert.equal(again.body.subscribedApps[0].id, sim.appId);
      const delivered = await control("leads", {
        method: "POST",
        body: JSON.stringify({
          pageId,
          deliver: true,
          callbackUrl: `http://127.0.0.1:${receiver.addr.port}/webhook`,
        }),
      });
      assert.equal(delivered.body.deliveries[0].status, 200);
      assert.equal(received, 1);
    } finally {
      await receiver.shutdown();
    }
    const unknownPage = await control("pages/123/subscription", { method: "DELETE" });
    assert.equal(unknownPage.status, 404);
  });
});
