// The server is SIGKILLed after acknowledging a delivery and before fetching it; after a restart on
// the same KV file the lead is fetched. Real `deno run main.ts` subprocesses, a real simulator.
import assert from "node:assert/strict";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";
import {
  baseEnv,
  type ServerProcess,
  startServer,
  stopServer,
} from "../_helpers/server_process.ts";

Deno.test("[crash] SIGKILL after the 200 and before the fetch: the restarted server fetches the lead", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const dir = await Deno.makeTempDir({ prefix: "leadline-crash-" });
  const kvPath = `${dir}/leadline.kv`;
  const env = baseEnv({
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    META_ACCESS_TOKEN: ACCESS_TOKEN,
    GRAPH_API_BASE: sim.url,
    GRAPH_API_VERSION: sim.version,
    LEADLINE_ADMIN_EMAIL: "crash-test@example.com",
    LEADLINE_ADMIN_PASSWORD: "crash test password 42",
    KV_PATH: kvPath,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "info",
    // A killed run's job is taken over after 1 s instead of a minute.
    JOB_LEASE_MS: "1000",
  });
  let first: ServerProcess | null = null;
  let second: ServerProcess | null = null;
  let kv: Deno.Kv | null = null;
  try {
    const running = first = await startServer(env);
    // Hold the Graph API: the fetch starts but cannot finish.
    sim.injectFault({ path: "lead", latencyMs: 120_000 });
    const simLead = sim.createLead();
    const res = await sim.deliver([simLead], running.url + "/webhook");
    assert.equal(res.status, 200, "the delivery is acknowledged");
    await res.body?.cancel();
    await waitFor(() => sim.calls("lead") >= 1 ? true : null, "the fetch to start");

    running.process.kill("SIGKILL");
    const status = await running.process.status;
    await running.drained;
    assert.equal(status.signal, "SIGKILL");
    first = null;

    sim.clearFaults();
    kv = await Deno.openKv(kvPath);
    const store = createLeadStore(kv);
    const stub = await store.getLeadByLeadgenId(simLead.id);
    assert.equal(stub?.details, "pending", "the lead was stored before the 200, not fetched");

    second = await startServer(env);
    const lead = await waitFor(
      async () => {
        const found = await store.getLeadByLeadgenId(simLead.id);
        return found?.details === "fetched" ? found : null;
      },
      "the lead to be fetched after the restart",
      30_000,
    );
    assert.equal(lead.fullName, simLead.fields.fullName);
    assert.equal(lead.email, simLead.fields.email);
    assert.equal((await store.listLeads()).leads.length, 1);
  } finally {
    kv?.close();
    if (first) {
      try {
        first.process.kill("SIGKILL");
      } catch { /* gone */ }
      await first.process.status;
      await first.drained;
    }
    if (second) await stopServer(second);
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});
