// One server per local KV file: a second one refuses to start, a crashed one is taken over, and a
// server only ever deletes its own heartbeat.

import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import {
  claimServerLock,
  findRunningServer,
  type ServerHeartbeat,
  serverHeartbeatKey,
  writeHeartbeat,
} from "../../lib/server_lock.ts";
import { baseEnv, ROOT, startServer, stopServer } from "../_helpers/server_process.ts";

const MAIN = new URL("main.ts", ROOT).pathname;

async function withTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "leadline-lock-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function serverEnv(kvPath: string): Record<string, string> {
  return baseEnv({
    KV_PATH: kvPath,
    PORT: "0",
    HOSTNAME: "127.0.0.1",
    GRAPH_SIMULATOR_PORT: "0",
    LOG_LEVEL: "info",
  });
}

async function readHeartbeat(kvPath: string): Promise<ServerHeartbeat | null> {
  // Reading the file from a second process is safe (SQLite); only writes need the one owner.
  const kv = await Deno.openKv(kvPath);
  try {
    return (await kv.get<ServerHeartbeat>(serverHeartbeatKey())).value;
  } finally {
    kv.close();
  }
}

Deno.test("[server lock] a second server on the same KV file refuses to start, naming KV_PATH", async () => {
  await withTempDir(async (dir) => {
    const kvPath = `${dir}/leadline.kv`;
    const first = await startServer(serverEnv(kvPath));
    try {
      const firstPid = first.process.pid;
      const second = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN],
        cwd: ROOT,
        env: serverEnv(kvPath),
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const stderr = new TextDecoder().decode(second.stderr);
      const stdout = new TextDecoder().decode(second.stdout);
      assert.equal(second.code, 1, `${stdout}\n${stderr}`);
      const lines = stderr.split("\n").filter((line) => line.trim() !== "");
      assert.equal(lines.length, 1, stderr);
      assert.match(
        lines[0],
        new RegExp(
          `^Cannot start Leadline: KV_PATH: another Leadline server \\(pid ${firstPid}, ` +
            `${first.url}/\\) is running on ${kvPath}; stop it first`,
        ),
      );
      assert.doesNotMatch(stdout, /"message":"listening"/, "the second one never listened");

      // The refused server left the first one's heartbeat alone, and the first still serves.
      const beat = await readHeartbeat(kvPath);
      assert.equal(beat?.pid, firstPid);
      assert.equal(beat?.url, `${first.url}/`);
      const health = await fetch(`${first.url}/health`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
    } finally {
      await stopServer(first);
    }
    assert.equal(await readHeartbeat(kvPath), null, "a clean stop removes its own heartbeat");

    // Once the first has stopped, a new server starts on the file.
    const next = await startServer(serverEnv(kvPath));
    await stopServer(next);
  });
});

Deno.test("[server lock] a server killed with SIGKILL is taken over at once by the next start", async () => {
  await withTempDir(async (dir) => {
    const kvPath = `${dir}/leadline.kv`;
    const crashed = await startServer(serverEnv(kvPath));
    crashed.process.kill("SIGKILL");
    await crashed.process.status;
    await crashed.drained;
    const left = await readHeartbeat(kvPath);
    assert.equal(left?.pid, crashed.process.pid, "the dead server's beat is still fresh");
    // Its pid is gone from this machine, so there is nothing to wait for.
    const next = await startServer(serverEnv(kvPath));
    try {
      assert.equal((await readHeartbeat(kvPath))?.pid, next.process.pid);
    } finally {
      await stopServer(next);
    }
  });
});

Deno.test("[server lock] stop deletes only our own heartbeat; a server that was taken over says so", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const lost: ServerHeartbeat[] = [];
    const claim = await claimServerLock(kv, {
      url: "http://127.0.0.1:8000/",
      pid: 100,
      hostname: "box",
      everyMs: 20,
      onLost: (holder) => lost.push(holder),
    });
    assert.ok(claim.ok);
    assert.equal((await findRunningServer(kv))?.pid, 100);

    // Another server took the file over (say ours hung past the stale age and it started).
    const other: ServerHeartbeat = {
      pid: 200,
      url: "http://127.0.0.1:8001/",
      at: Date.now(),
      id: "other-server",
      hostname: "box",
    };
    await writeHeartbeat(kv, other);
    await waitFor(() => lost.length > 0, "the heartbeat to notice the other server");
    assert.equal(lost[0]?.pid, 200, "the next refresh notices and reports the new holder");
    assert.equal((await findRunningServer(kv))?.pid, 200, "and does not overwrite it");

    await claim.handle.stop();
    assert.equal(
      (await findRunningServer(kv))?.pid,
      200,
      "stopping never deletes another server's heartbeat",
    );
  } finally {
    kv.close();
  }
});

Deno.test("[server lock] a fresh heartbeat refuses while its server lives; gone or silent, it is taken", async (t) => {
  const fresh = (pid: number, hostname: string): ServerHeartbeat => ({
    pid,
    url: `http://127.0.0.1:${pid}/`,
    at: Date.now(),
    id: `server-${pid}`,
    hostname,
  });
  const claimAs = (kv: Deno.Kv, alive: boolean | null) =>
    claimServerLock(kv, {
      url: "http://127.0.0.1:9000/",
      pid: 1,
      hostname: "box",
      everyMs: 50,
      isAlive: () => Promise.resolve(alive),
    });

  await t.step("same machine, process alive: refused with the holder", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      await writeHeartbeat(kv, fresh(300, "box"));
      const claim = await claimAs(kv, true);
      assert.equal(claim.ok, false);
      assert.equal(!claim.ok && claim.holder.pid, 300);
    } finally {
      kv.close();
    }
  });

  await t.step("same machine, process gone: taken over at once", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      await writeHeartbeat(kv, fresh(300, "box"));
      const claim = await claimAs(kv, false);
      assert.ok(claim.ok);
      assert.equal((await findRunningServer(kv))?.pid, 1);
      await claim.handle.stop();
    } finally {
      kv.close();
    }
  });

  await t.step("cannot tell, and the holder keeps refreshing: refused", async () => {
    const kv = await Deno.openKv(":memory:");
    const holder = fresh(300, "other-box");
    // The holder's refreshes; the last one may still be in flight when the step ends.
    let refreshing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      refreshing = writeHeartbeat(kv, { ...holder, at: Date.now() });
    }, 10);
    try {
      await writeHeartbeat(kv, holder);
      const claim = await claimAs(kv, null);
      assert.equal(claim.ok, false);
    } finally {
      clearInterval(timer);
      await refreshing;
      kv.close();
    }
  });

  await t.step("cannot tell, and the holder has stopped refreshing: taken over", async () => {
    const kv = await Deno.openKv(":memory:");
    try {
      await writeHeartbeat(kv, fresh(300, "other-box"));
      const claim = await claimAs(kv, null);
      assert.ok(claim.ok);
      assert.equal((await findRunningServer(kv))?.pid, 1);
      await claim.handle.stop();
    } finally {
      kv.close();
    }
  });
});
