// The server is SIGKILLed after acknowledging a delivery and before fetching it; after a restart on
// the same KV file the lead is fetched. Real `deno run main.ts` subprocesses, a real simulator.
import assert from "node:assert/strict";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN, waitFor } from "./_helpers.ts";

const ROOT = new URL("../../", import.meta.url);
const START_TIMEOUT_MS = 60_000;

interface Child {
  process: Deno.ChildProcess;
  url: string;
  output: string[];
}

/** Drains a stream line by line into `output`, calling `onLine` for each. */
async function drain(
  stream: ReadableStream<Uint8Array>,
  output: string[],
  onLine: (l: string) => void,
) {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      output.push(line);
      onLine(line);
    }
  }
}

async function startServer(
  env: Record<string, string>,
): Promise<Child & { drained: Promise<unknown> }> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const { promise: listening, resolve } = Promise.withResolvers<string>();
  const onLine = (line: string) => {
    if (!line.startsWith("{")) return;
    const entry = JSON.parse(line);
    if (entry.message === "listening") resolve(entry.url.replace(/\/$/, ""));
  };
  const drained = Promise.all([
    drain(process.stdout, output, onLine),
    drain(process.stderr, output, () => {}),
  ]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output.join("\n")}`)),
      START_TIMEOUT_MS,
    );
  });
  const exited = process.status.then((status) => {
    throw new Error(`server exited with ${status.code} before listening:\n${output.join("\n")}`);
  });
  try {
    const url = await Promise.race([listening, timeout, exited]);
    return { process, url, output, drained };
  } catch (error) {
    try {
      process.kill("SIGKILL");
    } catch { /* already gone */ }
    await process.status;
    await drained;
    throw error;
  } finally {
    clearTimeout(timer);
    exited.catch(() => {});
  }
}

async function stopServer(child: { process: Deno.ChildProcess; drained: Promise<unknown> }) {
  try {
    child.process.kill("SIGTERM");
  } catch { /* already gone */ }
  const timer = setTimeout(() => {
    try {
      child.process.kill("SIGKILL");
    } catch { /* already gone */ }
  }, 10_000);
  await child.process.status;
  clearTimeout(timer);
  await child.drained;
}

Deno.test("[crash] SIGKILL after the 200 and before the fetch: the restarted server fetches the lead", async () => {
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: ACCESS_TOKEN });
  const dir = await Deno.makeTempDir({ prefix: "leadline-crash-" });
  const kvPath = `${dir}/leadline.kv`;
  const env = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? dir,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
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
  };
  if (!env.DENO_DIR) delete (env as Record<string, string>).DENO_DIR;
  let first: Awaited<ReturnType<typeof startServer>> | null = null;
  let second: Awaited<ReturnType<typeof startServer>> | null = null;
  let kv: Deno.Kv | null = null;
  try {
    first = await startServer(env);
    // Hold the Graph API: the fetch starts but cannot finish.
    sim.injectFault({ path: "lead", latencyMs: 120_000 });
    const simLead = sim.createLead();
    const res = await sim.deliver([simLead], first.url + "/webhook");
    assert.equal(res.status, 200, "the delivery is acknowledged");
    await res.body?.cancel();
    await waitFor(() => sim.calls("lead") >= 1 ? true : null, "the fetch to start");

    first.process.kill("SIGKILL");
    const status = await first.process.status;
    await first.drained;
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
