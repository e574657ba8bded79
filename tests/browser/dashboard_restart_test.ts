import assert from "node:assert/strict";
import { newManualLead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { browserTest } from "../_helpers/browser.ts";
import {
  baseEnv,
  freePort,
  type ServerProcess,
  startServer,
  stopServer,
} from "../_helpers/server_process.ts";
import { rowIds } from "./_dashboard.ts";

const ADMIN_EMAIL = "restart-admin@example.com";
const ADMIN_PASSWORD = "restart test password 1234";

browserTest(
  "[e2e] dashboard - leads created while the server was down appear once it is back, each once",
  async (browser) => {
    const dir = await Deno.makeTempDir({ prefix: "leadline-restart-" });
    const env = baseEnv({
      KV_PATH: `${dir}/leadline.kv`,
      PORT: String(freePort()),
      HOSTNAME: "127.0.0.1",
      GRAPH_SIMULATOR_PORT: "0",
      LEADLINE_ADMIN_EMAIL: ADMIN_EMAIL,
      LEADLINE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SSE_HEARTBEAT_MS: "1000",
      LOG_LEVEL: "info",
    });
    let server: ServerProcess | null = await startServer(env);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (err) => errors.push(err.message));
      await page.goto(server.url + "/login");
      await page.fill('input[name="email"]', ADMIN_EMAIL);
      await page.fill('input[name="password"]', ADMIN_PASSWORD);
      await page.click('button[type="submit"]');
      await page.waitForURL(server.url + "/");
      await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });

      // Demo mode: the empty dashboard's button sends a signed test lead through the webhook.
      await page.click('[data-action="send-test-lead"]');
      await page.locator("[data-lead-id]").first().waitFor({ timeout: 10_000 });
      const before = await rowIds(page);
      assert.equal(before.length, 1);

      server.process.kill("SIGKILL");
      await server.process.status;
      await server.drained;
      server = null;
      await page.locator('[data-connection="live"]').waitFor({
        state: "detached",
        timeout: 10_000,
      });

      // While it is down, leads are stored (say by another process): nobody can push them.
      const kv = await Deno.openKv(env.KV_PATH);
      const store = createLeadStore(kv);
      const created = [
        newManualLead(
          { source: "phone", fullName: "Walter Downtime", phone: "+15550001" },
          new Date(),
        ),
        newManualLead({ source: "sms", fullName: "Sally Offline", phone: "+15550002" }, new Date()),
      ];
      for (const lead of created) await store.insertLeads([lead]);
      kv.close();

      server = await startServer(env);
      for (const lead of created) {
        await page.locator(`[data-lead-id="${lead.id}"]`).waitFor({ timeout: 20_000 });
      }
      await page.locator('[data-connection="live"]').waitFor({ timeout: 20_000 });
      const after = await rowIds(page);
      assert.equal(after.length, 3, "each lead once");
      assert.deepEqual([...after].sort(), [...before, ...created.map((l) => l.id)].sort());
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      if (server) await stopServer(server);
      await Deno.remove(dir, { recursive: true });
    }
  },
);
