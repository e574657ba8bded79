// The app as Deno Deploy runs it: `DENO_DEPLOYMENT_ID` set, no KV_PATH (so `Deno.openKv()` with no
// path: the platform's store), and a read-only file system: no `--allow-write` at all, so any
// write of ours to disk fails. It registers its crons before serving (how Deploy finds them),
// is ready, takes a signed webhook, fetches the lead, serves the dashboard's stream and stops
// cleanly.

import assert from "node:assert/strict";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { RECONCILE_CRON_NAME } from "../../lib/reconcile/cron.ts";
import { readSse } from "../_helpers/sse.ts";
import { cookieValue, postForm, sessionSetCookie } from "../routes/_helpers.ts";
import { parseExposition } from "../_helpers/prometheus.ts";
import { ACCESS_TOKEN, APP_SECRET, postDelivery, VERIFY_TOKEN } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";
import {
  baseEnv,
  type ServerProcess,
  startServer,
  stopServer,
} from "../_helpers/server_process.ts";

const ADMIN_EMAIL = "deploy-admin@example.com";
const ADMIN_PASSWORD = "deploy test password 42";
const METRICS_TOKEN = "deploy-metrics-token-0123456789";
/** What Deno Deploy grants a deployment: reading its files, the network, the environment. */
const DEPLOY_PERMISSIONS = ["--allow-read", "--allow-net", "--allow-env"];

/**
 * A DENO_DIR of its own whose module caches are the real ones (no download), so that what
 * `Deno.openKv()` opens with no path (`<DENO_DIR>/location_data/<hash>/kv.sqlite3` locally) is
 * fresh, private to the test, and removed with it.
 */
async function privateDenoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  const dir = await Deno.makeTempDir({ prefix: "leadline-deploy-deno-dir-" });
  for (const [name, target] of [["npm", info.npmCache], ["gen", info.typescriptCache]]) {
    try {
      await Deno.stat(target);
      await Deno.symlink(target, `${dir}/${name}`);
    } catch {
      // not there: Deno fills it on demand
    }
  }
  return dir;
}

Deno.test("[deploy] with DENO_DEPLOYMENT_ID, no KV_PATH and no write permission the app serves, stores and fetches a lead", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const denoDir = await privateDenoDir();
  let server: ServerProcess | null = null;
  try {
    const env = baseEnv({
      DENO_DIR: denoDir,
      DENO_DEPLOYMENT_ID: "leadline-test-deployment",
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: VERIFY_TOKEN,
      META_ACCESS_TOKEN: ACCESS_TOKEN,
      GRAPH_API_BASE: sim.url,
      GRAPH_API_VERSION: sim.version,
      LEADLINE_ADMIN_EMAIL: ADMIN_EMAIL,
      LEADLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      METRICS_TOKEN,
      PORT: "0",
      HOSTNAME: "127.0.0.1",
      LOG_LEVEL: "info",
    });
    const running = server = await startServer(env, {
      permissions: DEPLOY_PERMISSIONS,
      flags: ["--preload", "tests/e2e/_startup_order_preload.ts"],
      clearEnv: true,
    });
    const listening = running.output.map((line) => line.startsWith("{") ? JSON.parse(line) : {})
      .find((line) => line.message === "listening");
    assert.equal(listening.kvPath, "managed", "no KV_PATH: the platform's KV");
    assert.equal(listening.mode, "live");

    const ready = await fetch(`${running.url}/health/ready`);
    const readiness = await ready.json();
    assert.equal(ready.status, 200, JSON.stringify(readiness));
    assert.equal(readiness.kv, "ok");

    // The admin from the environment signs in (Deploy has no terminal for `user:add`).
    const login = await postForm(`${running.url}/login`, {
      email: ADMIN_EMAIL,
      password: ADMIN_PASSWORD,
    });
    assert.equal(login.status, 303);
    const cookie = `leadline_session=${cookieValue(sessionSetCookie(login)!)}`;
    const stream = await fetch(`${running.url}/api/events`, {
      headers: { cookie, accept: "text/event-stream" },
    });
    assert.equal(stream.status, 200);
    const events = readSse(stream);
    assert.equal((await events.nextEvent())?.event, "ready");

    const simLead = sim.createLead();
    const delivery = await postDelivery(`${running.url}/webhook`, sim.webhookBody([simLead]));
    assert.equal(delivery.status, 200, delivery.text);
    assert.equal(JSON.parse(delivery.text).inserted, 1);
    const pushed = await waitFor(async () => {
      const event = await events.nextEvent();
      // Its answers come as a preview (they are stored the same moment).
      const lead = event?.event === "lead" || event?.event === "lead_preview"
        ? JSON.parse(event.data!)
        : null;
      return lead?.details === "fetched" ? lead : null;
    }, "the fetched lead on the stream");
    assert.equal(pushed.fullName, simLead.fields.fullName);
    await events.close();

    const metrics = await fetch(`${running.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    const exposition = parseExposition(await metrics.text());
    assert.equal(exposition.value("leadline_webhook_deliveries_total", { outcome: "ok" }), 1);
    assert.equal(exposition.value("leadline_lead_details_total", { outcome: "fetched" }), 1);

    await stopServer(running);
    server = null;
    assert.equal((await running.process.status).code, 0);
    const problems = running.output.filter((line) =>
      /NotCapable|PermissionDenied|write access|"level":"error"/.test(line)
    );
    assert.deepEqual(problems, [], "no write was attempted, nothing failed");
    // Deploy finds the crons by running the entry module up to Deno.serve: they come first.
    const order = running.output.filter((line) => line.startsWith("[order] "))
      .map((line) => line.slice("[order] ".length));
    assert.deepEqual(order, [
      `cron ${JSON.stringify({ name: "leadline job sweep", schedule: "* * * * *" })}`,
      `cron ${JSON.stringify({ name: "leadline lead worker", schedule: "* * * * *" })}`,
      `cron ${JSON.stringify({ name: RECONCILE_CRON_NAME, schedule: "*/15 * * * *" })}`,
      `cron ${JSON.stringify({ name: "leadline meta health", schedule: "* * * * *" })}`,
      `cron ${JSON.stringify({ name: "leadline data retention", schedule: "23 * * * *" })}`,
      "serve",
    ]);

    // Without --allow-write no write of ours could succeed; the KV is where `Deno.openKv()`
    // keeps a store opened with no path.
    const kvFiles = [];
    for await (const entry of Deno.readDir(`${denoDir}/location_data`)) {
      if (entry.isDirectory) kvFiles.push(`${entry.name}/kv.sqlite3`);
    }
    assert.equal(kvFiles.length, 1);
    assert.ok((await Deno.stat(`${denoDir}/location_data/${kvFiles[0]}`)).isFile);
  } finally {
    if (server) {
      try {
        server.process.kill("SIGKILL");
      } catch { /* gone */ }
      await server.process.status;
      await server.drained;
    }
    await sim.close();
    await Deno.remove(denoDir, { recursive: true });
  }
});
