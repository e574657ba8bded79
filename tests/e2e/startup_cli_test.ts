// The real entry points as subprocesses: start-up accounts in main.ts and the user CLI.

import assert from "node:assert/strict";
import { getUserByEmail } from "../../lib/auth/users.ts";
import { verifyPassword } from "../../lib/auth/password.ts";
import { writeHeartbeat } from "../../lib/server_lock.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const CLI = new URL("scripts/users.ts", ROOT).pathname;

/** A clean environment: no Meta or admin variables leak in from the developer's shell. */
function env(extra: Record<string, string>): Record<string, string> {
  return { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...extra };
}

async function cli(
  kvPath: string,
  args: string[],
  stdin = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: env({ KV_PATH: kvPath }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function withTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "leadline-auth-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[cli] user:add, list, passwd and remove on the KV file, password from stdin", async () => {
  await withTempDir(async (dir) => {
    const kvPath = `${dir}/leadline.kv`;
    const add = await cli(kvPath, [
      "add",
      "--email",
      "Boss@Example.com",
      "--name",
      "Boss",
      "--role",
      "admin",
    ], "first long password\n");
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Added boss@example\.com \(admin\)/);
    assert.equal(add.stdout.includes("first long password"), false);

    const agent = await cli(
      kvPath,
      ["add", "--email=sam@example.com", "--name=Sam"],
      "sam's long password\n",
    );
    assert.equal(agent.code, 0, agent.stderr);

    const list = await cli(kvPath, ["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /boss@example\.com\s+Boss\s+admin\s+active/);
    assert.match(list.stdout, /sam@example\.com\s+Sam\s+agent\s+active/);

    const passwd = await cli(
      kvPath,
      ["passwd", "--email", "boss@example.com"],
      "second long password\n",
    );
    assert.equal(passwd.code, 0, passwd.stderr);

    const short = await cli(kvPath, ["passwd", "--email", "boss@example.com"], "short\n");
    assert.equal(short.code, 1);
    assert.match(short.stderr, /needs at least 10/);

    const remove = await cli(kvPath, ["remove", "--email", "sam@example.com"]);
    assert.equal(remove.code, 0, remove.stderr);
    const lastAdmin = await cli(kvPath, ["remove", "--email", "boss@example.com"]);
    assert.equal(lastAdmin.code, 1);
    assert.match(lastAdmin.stderr, /only enabled admin/);

    const usage = await cli(kvPath, ["add", "--name", "No Email"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--email is required/);

    const kv = await Deno.openKv(kvPath);
    try {
      const boss = await getUserByEmail(kv, "boss@example.com");
      assert.ok(await verifyPassword("second long password", boss!.passwordHash));
      assert.equal(await getUserByEmail(kv, "sam@example.com"), null);
    } finally {
      kv.close();
    }
  });
});

Deno.test("[cli] refuses to change users while a server runs on the same KV file", async () => {
  await withTempDir(async (dir) => {
    const kvPath = `${dir}/leadline.kv`;
    const kv = await Deno.openKv(kvPath);
    try {
      await writeHeartbeat(kv, { pid: 31337, url: "http://127.0.0.1:8000/", at: Date.now() });
    } finally {
      kv.close();
    }
    const add = await cli(
      kvPath,
      ["add", "--email", "x@example.com", "--name", "X"],
      "a long password\n",
    );
    assert.equal(add.code, 1);
    assert.match(add.stderr, /server \(pid 31337, http:\/\/127\.0\.0\.1:8000\/\) is running/);
    assert.match(add.stderr, /Stop it first, or manage the team on its Team page/);
    const list = await cli(kvPath, ["list"]);
    assert.equal(list.code, 0, "listing only reads, so it works while the server runs");
  });
});

/** Starts main.ts, reads its output until `until` matches, then stops it with SIGTERM. */
async function startServer(
  extra: Record<string, string>,
  until: RegExp,
): Promise<{ code: number | null; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: env({ PORT: "0", GRAPH_SIMULATOR_PORT: "0", LOG_LEVEL: "info", ...extra }),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      if (until.test(output)) {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  };
  await Promise.all([pump(child.stdout), pump(child.stderr)]);
  const status = await child.status;
  return { code: status.code, output };
}

Deno.test("[startup] a fresh demo start prints the admin's password once, next to the URL", async () => {
  await withTempDir(async (dir) => {
    const kvPath = `${dir}/leadline.kv`;
    const first = await startServer({ KV_PATH: kvPath }, /password: \S+[\s\S]*shown only/);
    const match =
      /Sign in at (http:\/\/127\.0\.0\.1:\d+\/)login with:\n\s+email:\s+admin@leadline\.local\n\s+password:\s+(\S+)/
        .exec(first.output);
    assert.ok(match, first.output);
    const kv = await Deno.openKv(kvPath);
    try {
      const admin = await getUserByEmail(kv, "admin@leadline.local");
      assert.ok(await verifyPassword(match[2], admin!.passwordHash), "the printed one works");
    } finally {
      kv.close();
    }
    const jsonLines = first.output.split("\n").filter((l) => l.startsWith("{"));
    assert.equal(jsonLines.join("\n").includes(match[2]), false, "the JSON log never has it");
    // Who started with `npx -y deno@2.9 task start` has no `deno` command: hints say npx too.
    assert.match(first.output, /Change it with `npx -y deno@2\.9 task user:passwd --email /);

    const second = await startServer({ KV_PATH: kvPath }, /"message":"listening"/);
    assert.doesNotMatch(second.output, /password:/, "a later start prints no password");
  });
});

Deno.test("[startup] outside demo mode with no user and no admin variables, the server refuses to start", async () => {
  await withTempDir(async (dir) => {
    const result = await startServer({
      KV_PATH: `${dir}/leadline.kv`,
      META_APP_SECRET: "app-secret",
      META_VERIFY_TOKEN: "verify-token",
      META_ACCESS_TOKEN: "access-token",
    }, /listening/);
    assert.equal(result.code, 1);
    assert.match(result.output, /Cannot start Leadline: no user account exists/);
    assert.match(result.output, /LEADLINE_ADMIN_EMAIL/);
    assert.match(result.output, /deno task user:add/);
    assert.doesNotMatch(result.output, /app-secret|access-token/);
  });
});
