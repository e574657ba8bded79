// The real demo server (`deno run main.ts`): it checks Meta by itself shortly after start, and
// `deno task meta:check` run beside it checks the same simulator with the demo run's credentials,
// including the server's own /webhook handshake.

import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { baseEnv, freePort, startServer, stopServer } from "../_helpers/server_process.ts";

const SCRIPT = new URL("../../scripts/meta_check.ts", import.meta.url).pathname;

Deno.test("[meta_health] the demo server checks Meta shortly after start; meta:check beside it passes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-meta-health-" });
  const simulatorPort = String(freePort());
  const server = await startServer(baseEnv({
    KV_PATH: `${dir}/leadline.kv`,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    GRAPH_SIMULATOR_PORT: simulatorPort,
    LOG_LEVEL: "info",
  }));
  try {
    const line = await waitFor(
      // The minute's cron may run a check first when the server starts just before a minute ends.
      () =>
        server.output.find((item) =>
          item.includes('"meta health check"') && item.includes('"trigger":"start"')
        ),
      "the check after start",
      30_000,
    );
    const entry = JSON.parse(line);
    assert.equal(entry.trigger, "start");
    assert.equal(entry.status, "ok");

    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", SCRIPT],
      env: baseEnv({
        KV_PATH: ":memory:",
        GRAPH_SIMULATOR_PORT: simulatorPort,
        PORT: new URL(server.url).port,
      }),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, stdout + new TextDecoder().decode(out.stderr));
    assert.match(stdout, /Demo mode/);
    assert.match(
      stdout,
      /ok\s+http:\/\/127\.0\.0\.1:\d+\/webhook\s+answers the verification handshake/,
    );
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});
