import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../lib/config.ts";
import { createLogger } from "../../lib/log.ts";
import { closeServices, createServices } from "../../lib/services.ts";
import { listRouteFiles, routePattern } from "../../lib/web/fs_routes.ts";

const ROOT = new URL("../../", import.meta.url);

/** One module of `deno info --json`'s graph and what it imports. */
interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/**
 * The modules a live server loads with its code, as Deno itself resolves them: main.ts, every
 * route (the router imports them by a computed path, which no graph follows) and every island
 * (server-side rendering loads them too), and what they import, statically or also dynamically.
 */
async function serverModuleGraph(): Promise<{ staticOnly: Set<string>; withDynamic: Set<string> }> {
  const routes = (await listRouteFiles(new URL("routes/", ROOT)))
    .filter((file) => {
      try {
        return routePattern(file) !== null || /^_(app|404|500)\.tsx?$/.test(file);
      } catch {
        return false;
      }
    })
    .map((file) => new URL(`routes/${file}`, ROOT).href);
  const islands: string[] = [];
  for await (const entry of Deno.readDir(new URL("islands/", ROOT))) {
    if (entry.isFile && /^[A-Z]\w*\.tsx$/.test(entry.name)) {
      islands.push(new URL(`islands/${entry.name}`, ROOT).href);
    }
  }
  const roots = [new URL("main.ts", ROOT).href, ...routes, ...islands];
  const dir = await Deno.makeTempDir({ prefix: "leadline_graph_" });
  try {
    const entry = join(dir, "server_entry.ts");
    await Deno.writeTextFile(entry, roots.map((root) => `import "${root}";`).join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", fileURLToPath(new URL("deno.json", ROOT)), entry],
      cwd: fileURLToPath(ROOT),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      roots: string[];
      modules: InfoModule[];
    };
    const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
    const walk = (followDynamic: boolean) => {
      const seen = new Set<string>();
      const queue = [...info.roots];
      while (queue.length > 0) {
        const specifier = queue.pop()!;
        if (seen.has(specifier)) continue;
        seen.add(specifier);
        for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
          // Type-only imports have no `code`: erased, they load nothing.
          if (dep.code && (followDynamic || !dep.isDynamic)) queue.push(dep.code.specifier);
        }
      }
      return seen;
    };
    return { staticOnly: walk(false), withDynamic: walk(true) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("[services] a live server's module graph holds no module of the Graph simulator", async () => {
  const simulator = new URL("lib/graph_sim/", ROOT).href;
  const { staticOnly, withDynamic } = await serverModuleGraph();
  assert.ok(staticOnly.has(new URL("lib/services.ts", ROOT).href), "the graph was read");
  assert.ok(staticOnly.has(new URL("routes/webhook.ts", ROOT).href), "with the routes");
  assert.ok(
    [...withDynamic].some((m) => m.startsWith(simulator)),
    "the demo branch's import() reaches the simulator",
  );
  const loaded = [...staticOnly].filter((m) => m.startsWith(simulator));
  assert.deepEqual(loaded, [], "modules a live server would load with its code");
});

Deno.test("[services] demo mode starts the simulator and points Meta at it; closeServices stops it", async () => {
  const kv = await Deno.openKv(":memory:");
  const config = loadConfig({ KV_PATH: ":memory:", GRAPH_SIMULATOR_PORT: "0" });
  const services = await createServices(config, kv, createLogger({ level: "silent" }));
  try {
    const simulator = services.simulator;
    assert.ok(simulator, "demo mode runs the simulator");
    assert.equal(simulator.credentials.appSecret, services.webhook.appSecret);
    assert.equal(simulator.credentials.verifyToken, services.webhook.verifyToken);
    const res = await fetch(simulator.url + "/");
    await res.body?.cancel();
    await closeServices(services);
    await assert.rejects(fetch(simulator.url + "/"), "the simulator no longer listens");
  } finally {
    kv.close();
  }
});

Deno.test("[services] live mode runs no simulator and checks Meta's own credentials", async () => {
  const kv = await Deno.openKv(":memory:");
  const config = loadConfig({
    KV_PATH: ":memory:",
    META_APP_SECRET: "live-app-secret",
    META_VERIFY_TOKEN: "live-verify-token",
    META_ACCESS_TOKEN: "live-access-token",
  });
  const services = await createServices(config, kv, createLogger({ level: "silent" }));
  try {
    assert.equal(services.simulator, null);
    assert.deepEqual(services.webhook, {
      appSecret: "live-app-secret",
      verifyToken: "live-verify-token",
    });
  } finally {
    await closeServices(services);
    kv.close();
  }
});
