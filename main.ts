// Leadline's entry point: builds the app (KV, routes, islands, services) and serves it when run.

import { type Config, ConfigError, loadConfig } from "./fresh.config.ts";
import {
  authorizeRoute,
  bootstrapAccounts,
  BootstrapError,
  type BootstrapOutcome,
  csrfProtection,
  isHttps,
  sessionAuth,
  startHeartbeat,
  withSecurityHeaders,
} from "./lib/auth_web/mod.ts";
import { DENO_VIA_NPM, portOf, simulateCommand } from "./lib/demo_command.ts";
import { loadIslandBundles } from "./lib/islands/bundles.ts";
import { openKv } from "./lib/kv_open.ts";
import { loadIslands } from "./lib/islands/ssr.ts";
import { createLeadPipeline } from "./lib/leads/pipeline.ts";
import { createLiveHub } from "./lib/leads/live.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { createAppReconciler, registerReconcileCron } from "./lib/reconcile/mod.ts";
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
  /** PBKDF2 iterations for new password hashes; tests lower it. Default 600,000. */
  passwordIterations?: number;
}

/** One running Leadline app. */
export interface LeadlineApp {
  /** Answers one request; `info` is `Deno.serve`'s handler info (client address). */
  fetch(req: Request, info?: Deno.ServeHandlerInfo): Promise<Response>;
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
  const pipeline = await createLeadPipeline({ config, kv, log });
  const services: AppServices = {
    config,
    kv,
    log,
    startedAt: Date.now(),
    passwordIterations: options.passwordIterations,
    leads: pipeline.leads,
    jobs: pipeline.jobs,
    graph: pipeline.graph,
    alerts: pipeline.alerts,
    pipeline,
    live: createLiveHub(kv, pipeline.leads, {
      maxSubscribers: config.live.maxStreams,
      onError: (error) => log.error("live hub watch failed; restarting it", { error }),
    }),
    reconciler: createAppReconciler(config, kv, log, pipeline),
  };

  const islandNames = await loadIslands(new URL("islands/", ROOT));
  const tree = await loadRouteTree(new URL("routes/", ROOT));
  const bundles = await loadIslandBundles(islandNames);
  const assets = await loadStaticAssets(new URL("static/", ROOT), bundles);
  const render = createPageRenderer(tree, assets, bundles);
  const middleware: Middleware[] = [
    csrfProtection({ trustProxy: config.trustProxy }),
    sessionAuth({ trustProxy: config.trustProxy }),
  ];
  const hono = createWebApp({
    services,
    tree,
    assets,
    render,
    middleware,
    authorize: authorizeRoute,
  });
  // Runs what is due at once (jobs left by a crash or a stop), then sweeps every second.
  pipeline.start();
  await services.live.start();

  return {
    hono,
    services,
    // Security headers go on here rather than in `middleware` so static files get them too.
    fetch: async (req, info) =>
      withSecurityHeaders(await hono.fetch(req, info), isHttps(req, config.trustProxy)),
    async close() {
      // Ends every event stream (with a retry hint) before the server waits for open requests.
      await services.live.stop();
      await pipeline.close();
      if (!options.kv) kv.close();
    },
  };
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
  let accounts: BootstrapOutcome;
  try {
    accounts = await bootstrapAccounts(app.services.kv, {
      admin: config.admin,
      demo: config.meta === null,
    });
  } catch (err) {
    if (err instanceof BootstrapError) {
      console.error(`Cannot start Leadline: ${err.message}`);
      await app.close();
      Deno.exit(1);
    }
    throw err;
  }
  if (accounts.kind === "admin_from_env") {
    log.info("admin account from LEADLINE_ADMIN_EMAIL", {
      email: accounts.email,
      action: accounts.action,
    });
  }
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen({ hostname, port }) {
      const url = `http://${hostname}:${port}/`;
      app.services.listenPort = port;
      const simulator = app.services.pipeline.simulator;
      // In demo mode, how to send test leads, with this server's ports (PORT may have been 0).
      const simulate = simulator
        ? simulateCommand({ port, simulatorPort: portOf(simulator.url) })
        : null;
      log.info("listening", {
        url,
        mode: config.meta ? "live" : "demo",
        kvPath: config.kvPath ?? "managed",
        ...(simulate ? { hint: `send test leads from another terminal: ${simulate}` } : {}),
      });
      if (simulate) {
        console.log(`\nSend test leads from another terminal in this folder:\n  ${simulate}`);
      }
      if (accounts.kind === "demo_admin_created") printDemoAdmin(url, accounts);
      else if (accounts.kind === "users_exist" && config.meta === null) {
        console.log(
          `\nSign in at ${url}login. Lost the demo admin's password (printed at the first ` +
            `start)? Stop the server and run \`${DENO_VIA_NPM} task user:passwd --email ` +
            "admin@leadline.local`.\n",
        );
      }
    },
  }, app.fetch);
  registerCronJobs(app);
  const heartbeat = await startHeartbeat(app.services.kv, {
    pid: Deno.pid,
    url: `http://${server.addr.hostname}:${server.addr.port}/`,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down");
    await heartbeat.stop();
    // Event streams end first (with a retry hint) so the server can drain; requests in flight,
    // such as a webhook mid-commit, finish before jobs stop and KV closes.
    await app.services.live.stop();
    await server.shutdown();
    await app.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
}

/**
 * Registers the `Deno.cron` sweeps. Only from `serve()`: a cron may be registered once per process
 * and tests call `services.pipeline.sweepJobs()` directly. On Deno Deploy the cron is what wakes an
 * instance to pick up jobs whose in-process run never happened (a crash between commit and fetch).
 */
export function registerCronJobs(app: LeadlineApp): void {
  Deno.cron("leadline job sweep", "* * * * *", async () => {
    const result = await app.services.pipeline.sweepJobs();
    if (result.claimed > 0) app.services.log.info("cron job sweep", { ...result });
  });
  registerReconcileCron(app.services.reconciler, app.services.config.reconcile.everyMinutes);
}

// The one place a password is ever written out: the demo admin's random password, printed once
// at the first demo start, beside the URL, so a new user can sign in. It is not stored anywhere
// in the clear and is never printed again (later starts find the user and print nothing).
function printDemoAdmin(url: string, admin: { email: string; password: string }): void {
  console.log(
    [
      "",
      `Demo admin created. Sign in at ${url}login with:`,
      `  email:    ${admin.email}`,
      `  password: ${admin.password}`,
      "This password is shown only this once. Change it with " +
      `\`${DENO_VIA_NPM} task user:passwd --email ${admin.email}\` while the server is stopped.`,
      "",
    ].join("\n"),
  );
}

if (import.meta.main) await serve();
