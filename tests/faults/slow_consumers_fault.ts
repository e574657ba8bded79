// Fault suite: slow consumers. Hundreds of event streams that never read (from another process)
// stay open while leads pour in: a dashboard that reads gets every lead, in order, and the
// server's memory stops growing once the stalled streams' bounded queues are full. It prints how
// long each quarter of the leads took: the stalled streams cost the server time until the hub
// drops them (see BENCHMARKS.md).
import assert from "node:assert/strict";
import { signBody } from "../../lib/facebook/signature.ts";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { createUser } from "../../lib/auth/users.ts";
import { SESSION_COOKIE } from "../../lib/auth_web/cookies.ts";
import { openStreams } from "../_helpers/sse_clients.ts";
import { ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN } from "../_helpers/pipeline.ts";
import { baseEnv, startServer, stopServer } from "../_helpers/server_process.ts";
import { pool, scaled, until } from "./_helpers.ts";

async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s*(\d+)/.exec(status)![1]) / 1024;
}

Deno.test("[faults] slow consumers: beside hundreds of streams that never read, a reading dashboard gets every lead in order, and memory levels off", async () => {
  const stalled = scaled(300);
  const leadCount = scaled(3_000);
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: 16,
  });
  const dir = await Deno.makeTempDir({ prefix: "leadline-slow-consumers-" });
  const kvPath = `${dir}/leadline.kv`;
  const kv = await Deno.openKv(kvPath);
  const user = await createUser(kv, {
    email: "reader@example.com",
    name: "Reader",
    role: "agent",
    password: "reader password 1234",
  }, { iterations: 1_000 });
  const cookie = `${SESSION_COOKIE}=${(await createSession(kv, user)).id}`;
  kv.close();
  const server = await startServer(baseEnv({
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    META_ACCESS_TOKEN: ACCESS_TOKEN,
    GRAPH_API_BASE: sim.url,
    GRAPH_API_VERSION: sim.version,
    LEADLINE_ADMIN_EMAIL: "slow-suite@example.com",
    LEADLINE_ADMIN_PASSWORD: "slow suite password 42",
    KV_PATH: kvPath,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    LOG_LEVEL: "info",
    SSE_MAX_STREAMS: String(stalled + 10),
  }));
  const streams = await openStreams(server.url, cookie, stalled, "stall");
  const reader = new AbortController();
  try {
    // The dashboard that reads: every lead event's id, in arrival order, and the leads it has
    // seen with their answers (a lead's stub may not reach it: when the answers come quickly the
    // lead goes out once, as it is then).
    const res = await fetch(server.url + "/api/events", {
      headers: { cookie, accept: "text/event-stream" },
      signal: reader.signal,
    });
    assert.equal(res.status, 200);
    const seqs: number[] = [];
    const fetched = new Set<string>();
    const reading = (async () => {
      let rest = "";
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          rest += chunk;
          const events = rest.split("\n\n");
          rest = events.pop() ?? "";
          for (const event of events) {
            const name = /^event: (.*)$/m.exec(event)?.[1];
            if (name !== "lead" && name !== "lead_preview") continue;
            // A preview (the answers while they commit) has no id: it moves no cursor.
            if (name === "lead") seqs.push(Number(/^id: (\d+)$/m.exec(event)![1]));
            const lead = JSON.parse(/^data: (.*)$/m.exec(event)![1]);
            if (lead.details === "fetched") fetched.add(lead.leadgenId);
          }
        }
      } catch { /* aborted at the end */ }
    })();

    const rssStart = await rssMib(server.process.pid);
    const send = async (count: number) => {
      await pool(count, 16, async () => {
        const body = sim.webhookBody([sim.createLead()]);
        const answer = await fetch(server.url + "/webhook", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-hub-signature-256": await signBody(APP_SECRET, body),
          },
          body,
        });
        await answer.body?.cancel();
        assert.equal(answer.status, 200);
      });
    };
    // In quarters: once the stalled streams' buffers are full and they have been cut off, the
    // server's memory must stop growing with the leads that keep coming.
    const rss: number[] = [];
    const quarterMs: number[] = [];
    let sent = 0;
    for (let quarter = 1; quarter <= 4; quarter++) {
      const started = performance.now();
      const upTo = Math.floor(leadCount * quarter / 4);
      await send(upTo - sent);
      sent = upTo;
      await until(() => sim.calls("lead") >= sent, `the leads of quarter ${quarter} fetched`);
      await until(() => fetched.size >= sent, `the reader to get quarter ${quarter}`);
      rss.push(await rssMib(server.process.pid));
      quarterMs.push(performance.now() - started);
    }
    // Every lead with its answers; the changes in order, each once, none past the last (each lead
    // made two; the one that stored what a preview had shown this stream is not sent to it).
    assert.deepEqual([...fetched].sort(), sim.leads().map((lead) => lead.id).sort(), "none lost");
    assert.ok(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]), "in order, each once");
    assert.ok(seqs.length > 0 && seqs.at(-1)! <= leadCount * 2);
    // A stalled stream's queue is bounded (the hub drops it past 2,000 events; it would resume
    // from its cursor on reconnecting), so once they are full the memory levels off.
    const lastQuarter = rss[3] - rss[2];
    const ended = await streams.close();
    const perQuarter = quarterMs.map((ms) => (ms / 1000).toFixed(1)).join(", ");
    const rssLine = rss.map((m) => m.toFixed(0)).join(", ");
    console.log(
      `slow consumers: ${stalled} stalled streams, ${leadCount} leads in ${perQuarter} s per ` +
        `quarter; server RSS ${rssStart.toFixed(0)} MiB at the start, then ${rssLine} MiB after ` +
        `each quarter; ${ended} stalled connections ended by the server`,
    );
    assert.ok(
      lastQuarter < 64,
      `memory still grew ${lastQuarter.toFixed(0)} MiB in the last quarter`,
    );
    reader.abort();
    await reading;
  } finally {
    reader.abort();
    await streams.close();
    await stopServer(server);
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});
