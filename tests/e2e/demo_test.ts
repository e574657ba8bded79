import assert from "node:assert/strict";
import { createLeadStore } from "../../lib/leads/store.ts";
import { createTestApp, startTestServer } from "../_helpers/app.ts";
import { liveEnv } from "../_helpers/pipeline.ts";
import { waitFor } from "../_helpers/wait.ts";
import { baseEnv, freePort, ROOT, startServer, stopServer } from "../_helpers/server_process.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { loopbackUrl } from "../../main.ts";

async function runSimulate(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/simulate.ts", ...args],
    cwd: ROOT,
    env: baseEnv(env),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("[demo] POST /api/demo/leads sends signed test leads through the webhook; 404 outside demo", async () => {
  const server = await startTestServer();
  try {
    assert.ok(server.app.services.simulator, "demo mode runs the simulator");
    const res = await server.fetch("/api/demo/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 3 }),
    });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.equal(body.leads.length, 3);
    assert.deepEqual(body.deliveries.map((d: { status: number }) => d.status), [200, 200, 200]);
    for (const { leadgenId, fullName } of body.leads) {
      const lead = await waitFor(async () => {
        const found = await server.app.services.leads.getLeadByLeadgenId(leadgenId);
        return found?.details === "fetched" ? found : null;
      }, `demo lead ${leadgenId}`);
      assert.equal(lead.fullName, fullName);
      assert.ok(lead.email && lead.phone && lead.formName);
    }
    const held = await server.fetch("/api/demo/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 1, deliver: false }),
    });
    assert.equal(held.status, 201);
    const heldLead = (await held.json()).leads[0];
    assert.equal(await server.app.services.leads.getLeadByLeadgenId(heldLead.leadgenId), null);
    const bad = await server.fetch("/api/demo/leads", { method: "POST", body: '{"count":0}' });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    assert.ok(
      !server.logs.some((line) => line.includes(server.app.services.webhook.appSecret)),
      "the generated app secret is never logged",
    );
    assert.ok(server.logs.some((line) => line.includes("demo mode")));
  } finally {
    await server.close();
  }

  const sim = await startGraphSimulator({ appSecret: "x-secret", accessToken: "x-token" });
  const live = await startTestServer({ env: liveEnv(sim) });
  try {
    const res = await live.fetch("/api/demo/leads", { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await live.close();
    await sim.close();
  }
});

Deno.test("[demo] 30 test leads from the dashboard's button spread over at least 3 forms and 2 campaigns", async () => {
  const t = await createTestApp();
  try {
    const sim = t.app.services.simulator!;
    const res = await t.fetch("/api/demo/leads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ count: 30, deliver: false }),
    });
    assert.equal(res.status, 201);
    const { leads } = await res.json();
    const simLeads = leads.map((lead: { leadgenId: string }) => sim.lead(lead.leadgenId)!);
    const forms = new Set(simLeads.map((lead: SimLead) => lead.formId));
    const campaigns = new Set(
      simLeads.map((lead: SimLead) => lead.campaignId).filter((id: string | null) => id !== null),
    );
    assert.ok(forms.size >= 3, `${forms.size} forms`);
    assert.ok(campaigns.size >= 2, `${campaigns.size} campaigns`);
  } finally {
    await t.close();
  }
});

Deno.test("[demo] deno task simulate --count 20 against a demo server gives 20 fetched leads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-demo-" });
  const kvPath = `${dir}/leadline.kv`;
  const simulatorPort = String(freePort());
  const server = await startServer(baseEnv({
    KV_PATH: kvPath,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    GRAPH_SIMULATOR_PORT: simulatorPort,
    LOG_LEVEL: "info",
  }));
  let kv: Deno.Kv | null = null;
  try {
    assert.ok(server.output.some((line) => line.includes("demo mode")), "the log says demo mode");
    const port = new URL(server.url).port;
    const run = await runSimulate(["--count", "20"], {
      PORT: port,
      GRAPH_SIMULATOR_PORT: simulatorPort,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Sent 20 lead\(s\) .* 20 accepted, 0 failed/);
    kv = await Deno.openKv(kvPath);
    const store = createLeadStore(kv);
    const leads = await waitFor(
      async () => {
        const page = await store.listLeads({ limit: 50 });
        const done = page.leads.filter((lead) => lead.details === "fetched");
        return done.length === 20 ? page.leads : null;
      },
      "20 fetched leads",
      30_000,
    );
    for (const lead of leads) assert.ok(lead.fullName && lead.email && lead.phone, lead.id);

    const paced = await runSimulate(["--count", "2", "--rate", "50"], {
      PORT: port,
      GRAPH_SIMULATOR_PORT: simulatorPort,
    });
    assert.equal(paced.code, 0, paced.stderr);
  } finally {
    kv?.close();
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[demo] the start-up log's simulate command, typed into a shell as shown, sends leads to this server", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline-demo-" });
  const server = await startServer(baseEnv({
    KV_PATH: `${dir}/leadline.kv`,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    GRAPH_SIMULATOR_PORT: String(freePort()),
    LOG_LEVEL: "info",
  }));
  try {
    const listening = server.output.map((line) => line.startsWith("{") ? JSON.parse(line) : {})
      .find((entry) => entry.message === "listening");
    const port = new URL(server.url).port;
    const hint: string = listening.hint;
    const command = hint.replace(/^send test leads from another terminal: /, "");
    assert.match(
      command,
      new RegExp(
        `^PORT=${port} GRAPH_SIMULATOR_PORT=\\d+ npx -y deno@2\\.9 task simulate --count 5$`,
      ),
    );
    // The same for a person reading the terminal rather than the JSON log.
    await waitFor(
      () => Promise.resolve(server.output.some((line) => line === `  ${command}`) || null),
      "the command printed for people",
    );
    // Typed into a POSIX shell as shown; only `npx -y deno@2.9` becomes this machine's deno, so
    // the test needs no download.
    const typed = command.replace("npx -y deno@2.9", `'${Deno.execPath()}'`);
    const out = await new Deno.Command("sh", {
      args: ["-c", typed],
      cwd: ROOT,
      env: baseEnv({}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(
      stdout,
      new RegExp(`Sent 5 lead\\(s\\) to http://127\\.0\\.0\\.1:${port}/webhook .* 5 accepted`),
    );
  } finally {
    await stopServer(server);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[demo] deno task simulate without a demo server says so and fails", async () => {
  const run = await runSimulate(["--count", "1"], {
    PORT: String(freePort()),
    GRAPH_SIMULATOR_PORT: String(freePort()),
  });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /No demo server found: nothing answers on http:\/\/127\.0\.0\.1:\d+/);
  const bad = await runSimulate(["--count", "zero"], {});
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--count must be a whole number/);
});

/** Sends one HTTP/1.1 request over a raw socket, so the Host header is exactly what we say. */
async function rawRequest(port: number, head: string[], body: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const bytes = new TextEncoder().encode(body);
  const request = [...head, `content-length: ${bytes.length}`, "connection: close", "", ""]
    .join("\r\n");
  await conn.write(new TextEncoder().encode(request));
  await conn.write(bytes);
  return await new Response(conn.readable).text();
}

Deno.test("[demo] POST /api/demo/leads delivers to the server's own address, never to the Host header's", async () => {
  const server = await startTestServer();
  // Another server on this machine: whoever names it in Host must not get signed deliveries.
  const sinkRequests: string[] = [];
  const sink = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    sinkRequests.push(`${req.method} ${new URL(req.url).pathname}`);
    await req.body?.cancel();
    return new Response("ok");
  });
  try {
    const elsewhere = `127.0.0.1:${sink.addr.port}`;
    const reply = await rawRequest(Number(new URL(server.url).port), [
      "POST /api/demo/leads HTTP/1.1",
      `host: ${elsewhere}`,
      `origin: http://${elsewhere}`,
      `cookie: ${server.user.cookie}`,
      "content-type: application/json",
    ], JSON.stringify({ count: 2 }));
    assert.match(reply, /^HTTP\/1\.1 201 /, reply);
    const body = JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4));
    assert.deepEqual(body.deliveries.map((d: { status: number }) => d.status), [200, 200]);
    assert.deepEqual(sinkRequests, [], "nothing was posted to the server the Host header named");
    for (const { leadgenId } of body.leads) {
      await waitFor(
        () => server.app.services.leads.getLeadByLeadgenId(leadgenId),
        `lead ${leadgenId} came in through our own webhook`,
      );
    }
  } finally {
    await sink.shutdown();
    await server.close();
  }
});

Deno.test("[demo] the app's own address is reached on loopback when it listens on every interface", () => {
  const url = (hostname: string) => loopbackUrl({ transport: "tcp", hostname, port: 8000 });
  assert.equal(url("0.0.0.0"), "http://127.0.0.1:8000");
  assert.equal(url("::"), "http://[::1]:8000");
  assert.equal(url("127.0.0.1"), "http://127.0.0.1:8000");
  assert.equal(url("::1"), "http://[::1]:8000");
});
