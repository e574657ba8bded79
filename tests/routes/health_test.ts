import assert from "node:assert/strict";
import { createTestApp, createTestUser } from "../_helpers/app.ts";
import { baseEnv, ROOT } from "../_helpers/server_process.ts";

Deno.test("[health] GET /health is 200 ok while KV answers", async () => {
  const { app, close } = await createTestApp();
  try {
    const res = await app.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    const body = await res.json();
    assert.equal(body.ok, true);
    assert.equal(body.status, "ok");
    assert.equal(body.kv, "ok");
    assert.equal(body.reason, undefined);
  } finally {
    await close();
  }
});

Deno.test("[health] GET /health is 503 when KV does not answer", async () => {
  const kv = await Deno.openKv(":memory:");
  const { app, close } = await createTestApp({ kv });
  try {
    kv.close();
    const res = await app.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.ok, false);
    assert.equal(body.status, "unavailable");
    assert.equal(body.kv, "error");
    assert.match(body.reason, /^KV cannot write: /);
  } finally {
    await close();
  }
});

async function which(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(`${dir}/${name}`)).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return null;
}

const PRLIMIT = Deno.build.os === "linux" ? await which("prlimit") : null;
const BASH = await which("bash");

/**
 * A real write failure, as on a full disk: the server runs with SIGXFSZ ignored, then its file
 * size limit (RLIMIT_FSIZE, set from outside with `prlimit`) drops below the KV file's, so every
 * write to the file fails with EFBIG ("disk I/O error") while reads still work: exactly what a
 * read-only health check could not see. Raising the limit again heals it. (chmod cannot do this
 * here: the tests may run as root, and the server keeps the file open anyway.)
 */
Deno.test({
  name:
    "[health] GET /health is 503 with the reason while KV reads but cannot write, 200 again after",
  ignore: PRLIMIT === null || BASH === null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "leadline-health-" });
    const kvPath = `${dir}/leadline.kv`;
    const setup = await Deno.openKv(kvPath);
    const user = await createTestUser(setup, "admin");
    setup.close();
    const child = new Deno.Command(BASH!, {
      args: ["-c", `trap '' XFSZ; exec "$0" run -A main.ts`, Deno.execPath()],
      cwd: ROOT,
      env: baseEnv({
        KV_PATH: kvPath,
        PORT: "0",
        HOSTNAME: "127.0.0.1",
        GRAPH_SIMULATOR_PORT: "0",
        LOG_LEVEL: "info",
      }),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output: string[] = [];
    const { promise: listening, resolve } = Promise.withResolvers<string>();
    const drain = (async () => {
      const decoder = new TextDecoderStream();
      const lines = child.stdout.pipeThrough(decoder);
      let rest = "";
      for await (const chunk of lines) {
        rest += chunk;
        const parts = rest.split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) {
          output.push(line);
          if (line.includes('"message":"listening"')) resolve(JSON.parse(line).url);
        }
      }
    })();
    const stderr = new Response(child.stderr).text();
    // Only the soft limit moves (`size:`): raising a hard limit again would need CAP_SYS_RESOURCE.
    const prlimit = async (size: string) => {
      const out = await new Deno.Command(PRLIMIT!, {
        args: ["--pid", String(child.pid), `--fsize=${size}:`],
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    };
    try {
      const timeout = AbortSignal.timeout(60_000);
      const base = (await Promise.race([
        listening,
        new Promise((_, reject) => timeout.onabort = () => reject(new Error(output.join("\n")))),
      ]) as string).replace(/\/$/, "");
      const healthy = await fetch(`${base}/health`);
      assert.equal(healthy.status, 200);
      assert.equal((await healthy.json()).ok, true);

      // Below the first WAL frame: no write reaches the file any more, reads still do.
      await prlimit("4096");
      const sick = await fetch(`${base}/health`);
      assert.equal(sick.status, 503);
      const body = await sick.json();
      assert.equal(body.ok, false);
      assert.equal(body.kv, "error");
      assert.match(body.reason, /^KV cannot write: \S/);
      // The failure is real: a lead entered by hand cannot be stored either.
      const add = await fetch(`${base}/api/leads`, {
        method: "POST",
        headers: { cookie: user.cookie, origin: base, "content-type": "application/json" },
        body: JSON.stringify({ fullName: "Full Disk", phone: "+15550100", source: "phone" }),
      });
      assert.equal(add.status, 500);
      await add.body?.cancel();

      await prlimit("unlimited");
      const healed = await fetch(`${base}/health`);
      assert.equal(healed.status, 200);
      assert.equal((await healed.json()).ok, true);
    } finally {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await drain;
      await stderr;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
