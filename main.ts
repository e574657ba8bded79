// Leadline's entry point: builds the app (KV, routes, islands, services) and serves it when run.

import { type Config, ConfigError, loadConfig } from "./fresh.config.ts";
import { loadIslandBundles } from "./lib/islands/bundles.ts";
import { loadIslands } from "./lib/islands/ssr.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import type { AppServices } from "./lib/services.ts";
import { loadRouteTree } from "./lib/web/fs_routes.ts";
import { createPageRenderer } from "./lib/web/render.ts";
import { createWebApp, type Middleware } from "./lib/web/server.ts";
import { loadStaticAssets } from "./lib/web/static.ts";
import type { Hono } from "hono";
import type { HonoEnv } from "./lib/web/define.ts";

const ROOT = new URL("./", import.meta.url);

/** Options for building an app; tests pass an in-memory KV and a quiet logger. */
export interface CreateAppOptions {
  config?: Config;
  kv?: Deno.Kv;
  log?: Logger;
}

/** One running Leadline app. */
export interface LeadlineApp {
  fetch(req: Request): Promise<Response>;
  hono: Hono<HonoEnv>;
  services: AppServices;
  /** Stops background work and closes what the app opened itself. */
  close(): Promise<void>;
}

/** Builds the app: opens KV (unless given), loads islands and routes, wires the services. */
export async function createApp(options: CreateAppOptions = {}): Promise<LeadlineApp> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger({ level: config.logLevel });
  const kv = options.kv ?? await openKv(config.kvPath);
  const services: AppServices = { config, kv, log, startedAt: Date.now() };

  const islandNames = await loadIslands(new URL("islands/", ROOT));
  const tree = await loadRouteTree(new URL("routes/", ROOT));
  const bundles = await loadIslandBundles(islandNames);
  const assets = await loadStaticAssets(new URL("static/", ROOT), bundles);
  const render = createPageRenderer(tree, assets, bundles);
  const middleware: Middleware[] = [];
  const hono = createWebApp({ services, tree, assets, render, middleware });

  return {
    hono,
    services,
    fetch: async (req) => await hono.fetch(req),
    close() {
      if (!options.kv) kv.close();
      return Promise.resolve();
    },
  };
}

/** Opens Deno KV at `path`, creating its folder; `:memory:` gives a throwaway store. */
export async function openKv(path: string): Promise<Deno.Kv> {
  if (path !== ":memory:") {
    const dir = path.replace(/[/\\][^/\\]*$/, "");
    if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
  }
  return await Deno.openKv(path);
}

async function serve(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Cannot start Leadline: ${err.message}`);
      Deno.exit(1);
    }
    throw err;
  }
  const app = await createApp({ config });
  const log = app.services.log;
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen({ hostname, port }) {
      log.info("listening", {
        url: `http://${hostname}:${port}/`,
        mode: config.meta ? "live" : "demo",
        kvPath: config.kvPath,
      });
    },
  }, app.fetch);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down");
    await app.close();
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
}

if (import.meta.main) await serve();
