// `deno task export` and `deno task import` as real subprocesses on real KV files: a store made
// through the real paths, exported, imported into an empty store gives the same leads (timeline,
// activities), users and settings with their index keys rebuilt; a second import changes nothing;
// password hashes only with --with-secrets; a malformed line fails with its number, writing nothing.

import assert from "node:assert/strict";
import { join } from "node:path";
import { verifyPassword } from "../../lib/auth/password.ts";
import { getUserByEmail } from "../../lib/auth/users.ts";
import { indexKeysOf } from "../../lib/leads/indexes.ts";
import { leadActivitiesPrefix, LEADS_PREFIX, leadTimelinePrefix } from "../../lib/leads/keys.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { teamSettingsKey } from "../../lib/routing/keys.ts";
import { waitingCountKey } from "../../lib/stats/keys.ts";
import { startTestServer } from "../_helpers/app.ts";
import { baseEnv, ROOT } from "../_helpers/server_process.ts";
import { waitFor } from "../_helpers/wait.ts";

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

async function runScript(script: string, args: string[], kvPath: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `scripts/${script}.ts`, ...args],
    cwd: ROOT,
    env: baseEnv({ KV_PATH: kvPath, NO_COLOR: "1" }),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Every key and value but the open probe (each open of a KV file writes it), in key order. */
async function snapshot(kv: Deno.Kv): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const entry of kv.list({ prefix: [] })) {
    if (entry.key[0] === "kv_open_probe") continue;
    out.push([
      JSON.stringify(entry.key),
      JSON.stringify(entry.value, (_, v) => typeof v === "bigint" ? `${v}n` : v),
    ]);
  }
  return out;
}

/** A lead's record (without the index marker), timeline and activities as stored. */
async function leadsOf(kv: Deno.Kv) {
  const out = new Map<string, unknown>();
  for await (const entry of kv.list<Lead>({ prefix: LEADS_PREFIX })) {
    const { indexed: _indexed, ...lead } = entry.value;
    out.set(lead.id, {
      lead,
      timeline: (await Array.fromAsync(kv.list({ prefix: leadTimelinePrefix(lead.id) })))
        .map((e) => [e.key, e.value]),
      activities: (await Array.fromAsync(kv.list({ prefix: leadActivitiesPrefix(lead.id) })))
        .map((e) => e.value),
    });
  }
  return out;
}

/** A store on a KV file, made through the app: webhook and manual leads, worked; a second user. */
async function makeStore(path: string) {
  const kv = await Deno.openKv(path);
  const server = await startTestServer({ kv });
  try {
    const simulator = server.app.services.simulator!;
    const simLeads = [simulator.createLead(), simulator.createLead()];
    const res = await simulator.deliver(simLeads, `${server.url}/webhook`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    for (const simLead of simLeads) {
      await waitFor(async () => {
        const lead = await server.app.services.leads.getLeadByLeadgenId(simLead.id);
        return lead?.details === "fetched";
      }, `lead ${simLead.id}'s details`);
    }
    const manual = await server.fetch(
      "/api/leads",
      json("POST", { fullName: "Door Walker", phone: "+15555550142", source: "walk-in" }),
    );
    const manualId = (await manual.json()).id;
    await server.fetch(`/api/leads/${manualId}/claim`, { method: "POST" });
    const call = await server.fetch(
      `/api/leads/${manualId}/activities`,
      json("POST", {
        kind: "call",
        outcome: "voicemail",
        followUpAt: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
    assert.equal(call.status, 201);
    await server.fetch(`/api/leads/${manualId}`, json("PATCH", { status: "qualified" }));
    const agent = await server.addUser("agent", { name: "Agent Ann", email: "ann@example.com" });
    const routing = await server.fetch(
      "/team/routing",
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body:
          "timeZone=Europe%2FBerlin&amberMinutes=4&redMinutes=12&workStart=09%3A00&workEnd=17%3A00&reassignAfterMinutes=",
        redirect: "manual",
      },
    );
    await routing.body?.cancel();
    await server.app.services.leadEvents.catchUp();
    return { admin: server.user, agent };
  } finally {
    await server.close();
    kv.close();
  }
}

Deno.test("[scripts] export then import into an empty store gives the same leads, activities, users and settings; index keys are rebuilt; a second import changes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline_transfer_" });
  try {
    const source = join(dir, "source.kv");
    const { admin } = await makeStore(source);
    const file = join(dir, "export.jsonl");

    const exported = await runScript("export", [file], source);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /Exported 3 leads, 2 users and \d+ settings/);
    const text = await Deno.readTextFile(file);
    const lines = text.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines[0].type, "leadline_export");
    assert.ok(lines.every((line) => typeof line.type === "string"), "every line has a type");
    assert.ok(!text.includes("passwordHash"), "no password hash without --with-secrets");
    assert.ok(lines.some((l) => l.type === "setting" && l.key[0] === "team_settings"));

    // Without a file: the same lines on stdout.
    const toStdout = await runScript("export", [], source);
    assert.equal(toStdout.code, 0, toStdout.stderr);
    const stdoutLines = toStdout.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(stdoutLines.slice(1), lines.slice(1));

    const target = join(dir, "target.kv");
    const imported = await runScript("import", [file], target);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /leads\s+3 new, 0 kept/);

    const [from, to] = [await Deno.openKv(source), await Deno.openKv(target)];
    try {
      assert.deepEqual(
        await leadsOf(to),
        await leadsOf(from),
        "the same leads, timelines, activities",
      );
      // Index keys and counters were made by the store's own insert, as in the source.
      for await (const entry of to.list<Lead>({ prefix: LEADS_PREFIX })) {
        for (const key of indexKeysOf(entry.value)) {
          assert.notEqual((await to.get(key)).versionstamp, null, `index ${key} rebuilt`);
        }
      }
      assert.equal(
        (await to.get(waitingCountKey())).value,
        (await from.get(waitingCountKey())).value,
      );
      const store = createLeadStore(to);
      assert.equal((await store.listLeads()).leads.length, 3);
      assert.equal((await store.listLeadsOwnedBy([admin.id])).leads.length, 1);
      assert.deepEqual(
        (await to.get(teamSettingsKey())).value,
        (await from.get(teamSettingsKey())).value,
      );
      const users = async (kv: Deno.Kv) =>
        (await Array.fromAsync(kv.list<Record<string, unknown>>({ prefix: ["users"] })))
          .map(({ value: { passwordHash: _hash, ...user } }) => user);
      assert.deepEqual(await users(to), await users(from));
      assert.equal(
        (await getUserByEmail(to, admin.email))!.passwordHash,
        "",
        "no hash: no sign-in",
      );
    } finally {
      from.close();
      to.close();
    }

    // The same file again: nothing changes.
    const before = await (async () => {
      const kv = await Deno.openKv(target);
      try {
        return await snapshot(kv);
      } finally {
        kv.close();
      }
    })();
    const again = await runScript("import", [file], target);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /leads\s+0 new, 3 kept/);
    assert.match(again.stdout, /0 timeline and activity records written/);
    const kv = await Deno.openKv(target);
    try {
      assert.deepEqual(await snapshot(kv), before);
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[scripts] export --with-secrets carries password hashes: imported users sign in with their passwords", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline_transfer_" });
  try {
    const source = join(dir, "source.kv");
    const { agent } = await makeStore(source);
    const file = join(dir, "secrets.jsonl");
    const exported = await runScript("export", [file, "--with-secrets"], source);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(await Deno.readTextFile(file), /"passwordHash":"/);
    const target = join(dir, "target.kv");
    const imported = await runScript("import", [file], target);
    assert.equal(imported.code, 0, imported.stderr);
    const kv = await Deno.openKv(target);
    try {
      const user = await getUserByEmail(kv, agent.email);
      assert.ok(user && await verifyPassword(agent.password, user.passwordHash));
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[scripts] import of a malformed line fails with its line number and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "leadline_transfer_" });
  try {
    const header = JSON.stringify({
      type: "leadline_export",
      version: 1,
      exportedAt: new Date().toISOString(),
      withSecrets: false,
    });
    const user = JSON.stringify({
      type: "user",
      user: {
        id: "01J0000000000000000000000A",
        email: "someone@example.com",
        name: "Someone",
        role: "agent",
        disabled: false,
        createdAt: new Date().toISOString(),
        lastLoginAt: null,
      },
    });
    const cases: [string, RegExp][] = [
      [`${header}\n${user}\n{"type": "lead", "lead": \n`, /line 3: not JSON/],
      [`${header}\n${user}\n\n{"type":"invoice"}\n`, /line 4: unknown type "invoice"/],
      [`${header}\n{"type":"setting","key":["users","x"],"value":1}\n`, /line 2: the setting/],
      [`${user}\n`, /line 1: the first line must be the header/],
    ];
    for (const [content, expected] of cases) {
      const file = join(dir, "bad.jsonl");
      await Deno.writeTextFile(file, content);
      const target = join(dir, "target.kv");
      const result = await runScript("import", [file], target);
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, expected);
      const kv = await Deno.openKv(target);
      try {
        assert.deepEqual(await snapshot(kv), [], "nothing was imported");
      } finally {
        kv.close();
      }
    }
    const usage = await runScript("import", [], join(dir, "x.kv"));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage:/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
