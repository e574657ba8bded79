// Leadline's entry point: builds the app (KV, routes, islands, services) and serves it when run.

import framework from "./fresh.config.ts";
import { type Config, ConfigError, DEFAULT_KV_PATH, loadConfig } from "./lib/config.ts";
import type { HonoEnv, Middleware, State } from "./lib/app_state.ts";
import { authorizeRoute } from "./lib/auth_web/access.ts";
import { readSessionCookie } from "./lib/auth_web/cookies.ts";
import { sessionAuth } from "./lib/auth_web/session_middleware.ts";
import { bootstrapAccounts, BootstrapError, type BootstrapOutcome } from "./lib/auth/bootstrap.ts";
import { DENO_VIA_NPM, portOf, simulateCommand } from "./lib/demo_command.ts";
import { IslandBuildError, loadIslandBundles } from "./lib/islands/bundles.ts";
import { KvOpenError, openKv } from "./lib/kv_open.ts";
import { loadIslands } from "./lib/islands/ssr.ts";
import { createLogger, flushLogs, type Logger } from "./lib/log.ts";
import { claimServerLock, type HeartbeatHandle, type ServerLockResult } from "./lib/server_lock.ts";
import {
  type AppServices,
  closeServices,
  createServices,
  registerCronJobs,
  startServices,
} from "./lib/services.ts";
import { csrfProtection } from "./lib/web/csrf.ts";
import { loadRouteTree } from "./lib/web/fs_routes.ts";
import { createPageRenderer } from "./lib/web/render.ts";
import { jsonResponse } from "./lib/web/http_error.ts";
import { createWebApp, type Plugin } from "./lib/web/server.ts";
import { loadStaticAssets } from "./lib/web/static.ts";
import type { Hono } from "hono";

/** Options for building an app; tests pass an in-memory KV and a quiet logger. */
export interface CreateAppOptions {
  config?: Config;
  kv?: Deno.Kv;
  log?: Logger;
  /** PBKDF2 iterations for new password hashes; tests lower it. Default 600,000. */
  passwordIterations?: number;
  /** No other process runs on this KV: serve() holds the local KV file's lock (see ServicesOptions). */
  exclusiveKv?: boolean;
}

/** One running Leadline app. */
export interface LeadlineApp {
  /** Answers one request; `info` is `Deno.serve`'s handler info (client address). */
  fetch(req: Request, info?: Deno.ServeHandlerInfo): Promise<Response>;
  hono: Hono<HonoEnv>;
  services: AppServices;
  /** Tells the app where its server listens (`services.selfUrl`, e.g. for demo deliveries). */
  listening(addr: Deno.NetAddr): void;
  /**
   * Stops taking requests (each new one is answered 503 with `Retry-After`) and resolves once
   * every request in flight has been answered (true), or after `timeoutMs` (false). An event
   * stream counts as answered once its response has started.
   */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops background work and closes what the app opened itself. */
  close(): Promise<void>;
}

/**
 * Builds the app: opens KV (unless given), builds and starts the services (lib/services.ts), and
 * the web app on them: routes, islands, static files, fresh.config.ts's plugins, the middleware.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<LeadlineApp> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger({ level: config.logLevel });
  const kv = options.kv ??
    await openKv(config.kvPath, { createFolder: config.kvPath === DEFAULT_KV_PATH });
  const services = await createServices(config, kv, log, {
    passwordIterations: options.passwordIterations,
    exclusiveKv: options.exclusiveKv,
  });

  const islandNames = await loadIslands(framework.islandsDir);
  const tree = await loadRouteTree<State>(framework.routesDir);
  const bundles = await loadIslandBundles(islandNames, {
    dir: framework.build.outDir,
    root: framework.root,
    routesDir: framework.routesDir,
    islandsDir: framework.islandsDir,
  });
  const assets = await loadStaticAssets(framework.staticDir, bundles);
  const render = createPageRenderer(tree, assets, bundles);
  // Requests whose handler has not answered yet, so a stop can wait for them (see `drain`).
  let answering = 0;
  let draining = false;
  let drained: (() => void) | null = null;

  // After the plugins (security headers): once a stop has begun, every request gets a 503.
  const refuseWhileDraining: Plugin = async function drainMiddleware(_c, next) {
    if (draining) return shuttingDown();
    await next();
  };
  const middleware: Middleware[] = [
    csrfProtection({
      trustProxy: config.trustProxy,
      hasCredentials: (req) => readSessionCookie(req) !== null,
    }),
    sessionAuth({ trustProxy: config.trustProxy }),
  ];
  const hono = createWebApp<State>({
    initialState: (requestId) => ({ requestId, services, user: null }),
    log,
    tree,
    assets,
    render,
    plugins: [...framework.plugins({ trustProxy: config.trustProxy }), refuseWhileDraining],
    middleware,
    authorize: authorizeRoute,
  });
  await startServices(services);

  return {
    hono,
    services,
    async fetch(req, info) {
      answering++;
      try {
        return await hono.fetch(req, info);
      } finally {
        if (--answering === 0) drained?.();
      }
    },
    listening(addr) {
      services.selfUrl = loopbackUrl(addr);
    },
    async drain(timeoutMs) {
      draining = true;
      if (answering === 0) return true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = await Promise.race([
        new Promise<true>((resolve) => drained = () => resolve(true)),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs)),
      ]);
      clearTimeout(timer);
      return done;
    },
    async close() {
      await closeServices(services);
      if (!options.kv) kv.close();
    },
  };
}

// What a request gets once a stop has begun: come back shortly (to this server after its
// restart, or to another instance). Meta retries a webhook delivery answered this way.
function shuttingDown(): Response {
  return jsonResponse({ error: "The server is shutting down; try again shortly" }, 503, {
    "retry-after": "5",
    "cache-control": "no-store",
    connection: "close",
  });
}

/**
 * The URL at which this machine reaches a server listening on `addr`: a wildcard address
 * (`0.0.0.0`, `::`) is reached on loopback.
 */
export function loopbackUrl(addr: Deno.NetAddr): string {
  let host = addr.hostname;
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  else if (host === "::" || host === "[::]") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`;
}

// The one-line reason start-up stopped, then exit 1: no stack trace for a setting that is wrong.
function refuseToStart(message: string): never {
  console.error(`Cannot start Leadline: ${message}`);
  Deno.exit(1);
}

/** Serves the app on `PORT` until SIGINT or SIGTERM; `deno task dev` calls it after a build. */
export async function serve(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) refuseToStart(err.message);
    throw err;
  }
  // Before the first await: Deno Deploy finds a deployment's crons by evaluating the entry module
  // up to Deno.serve, and does not see one registered later. They wait for the app to exist.
  let running: LeadlineApp | null = null;
  registerCronJobs(config, () => running?.services ?? null);
  const log = createLogger({ level: config.logLevel });
  let kv: Deno.Kv;
  try {
    kv = await openKv(config.kvPath, { createFolder: config.kvPath === DEFAULT_KV_PATH });
  } catch (err) {
    if (err instanceof KvOpenError) refuseToStart(`KV_PATH: ${err.message}`);
    throw err;
  }
  const heartbeat = await claimKvFile(kv, config, log);
  let app: LeadlineApp;
  try {
    app = await createApp({ config, kv, log, exclusiveKv: heartbeat !== null });
  } catch (err) {
    if (err instanceof IslandBuildError || err instanceof ConfigError) refuseToStart(err.message);
    throw err;
  }
  let accounts: BootstrapOutcome;
  try {
    accounts = await bootstrapAccounts(app.services.kv, {
      admin: config.admin,
      demo: config.meta === null,
    });
  } catch (err) {
    if (err instanceof BootstrapError) {
      await app.close();
      await heartbeat?.stop();
      kv.close();
      refuseToStart(err.message);
    }
    throw err;
  }
  if (accounts.kind === "admin_from_env") {
    log.info("admin account from LEADLINE_ADMIN_EMAIL", {
      email: accounts.email,
      action: accounts.action,
    });
  }
  // Listening for signals before the server says it listens, with no await from here to
  // Deno.serve: a signal that came before its listener would end the process on the spot (exit
  // 143) with no graceful stop, and the handler runs only once `server` exists.
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down");
    await stopServing(app, server);
    // Last, so the CLI and a second server wait until nothing of ours writes to KV any more
    // (the heartbeat's writes are queued: the URL below is saved before this stop).
    await heartbeat?.stop();
    kv.close();
    // The log sink writes in the background: what is queued goes out before the exit.
    await flushLogs();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  const server = Deno.serve({
    port: config.port,
    hostname: config.hostname,
    onListen({ hostname, port }) {
      const url = `http://${hostname}:${port}/`;
      const simulator = app.services.simulator;
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
  app.listening(server.addr);
  running = app;
  // Meta health: once shortly after start (a new token set by a restart releases waiting leads),
  // then every META_CHECK_EVERY_MINUTES by the cron above.
  app.services.metaHealth.start();
  await heartbeat?.setUrl(`http://${server.addr.hostname}:${server.addr.port}/`);
  await server.finished;
}

/**
 * How long a stop waits for requests in flight and open connections before it goes on without
 * them: within the 5 s Deno Deploy gives an instance after SIGINT (and `docker stop`'s 10 s).
 */
export const DRAIN_DEADLINE_MS = 4_000;

/**
 * Stops serving: event streams end first (with a retry hint) so the server can drain; new
 * requests get 503 while requests in flight, such as a webhook whose body is still arriving or
 * mid-commit, are answered; only then does the server shut down (stops listening, waits for the
 * responses to go out), and jobs stop after it. The app waits for its own requests before
 * `server.shutdown()` because on Deno 2.9 that call makes the body of every request in flight
 * unreadable at once (denoland/deno#36809): such a webhook delivery was answered 500.
 * A client that stopped reading keeps its connection open for as long as the socket holds unsent
 * bytes (Deno cannot close one connection), which would hold a graceful shutdown forever: after
 * `drainMs` the app stops anyway (the process exit then closes the socket). Resolves whether
 * every connection drained.
 */
export async function stopServing(
  app: LeadlineApp,
  server: Deno.HttpServer,
  drainMs: number = DRAIN_DEADLINE_MS,
): Promise<boolean> {
  const deadline = Date.now() + drainMs;
  await app.services.live.stop();
  await app.drain(Math.max(0, deadline - Date.now()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    server.shutdown().then(() => true),
    new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
    ),
  ]);
  clearTimeout(timer);
  if (!drained) {
    app.services.log.warn("stopping with connections still open: their clients stopped reading", {
      waitedMs: drainMs,
    });
  }
  await app.close();
  return drained;
}

/**
 * One server per local KV file: claims the file's heartbeat or refuses to start while another
 * live server holds it (`kv.watch` on a local file sees only its own process's writes, so a second
 * server would never push the first one's leads, and both would run the same jobs). Deploy's
 * managed KV is shared by design and `:memory:` by nobody, so neither takes the lock.
 */
async function claimKvFile(
  kv: Deno.Kv,
  config: Config,
  log: Logger,
): Promise<HeartbeatHandle | null> {
  if (config.kvPath === null || config.kvPath === ":memory:") return null;
  let claim: ServerLockResult;
  try {
    claim = await claimServerLock(kv, {
      url: `http://${config.hostname}:${config.port}/`,
      onLost: (holder) =>
        log.error("another Leadline server took over this KV file; two servers now share it", {
          kvPath: config.kvPath,
          otherPid: holder.pid,
          otherUrl: holder.url,
        }),
    });
  } catch (err) {
    kv.close();
    refuseToStart(
      `KV_PATH: cannot write the server heartbeat to ${config.kvPath}: ${
        err instanceof Error ? err.message.split("\n")[0] : String(err)
      }`,
    );
  }
  if (!claim.ok) {
    kv.close();
    refuseToStart(
      `KV_PATH: another Leadline server (pid ${claim.holder.pid}, ${claim.holder.url}) is ` +
        `running on ${config.kvPath}; stop it first, or give this server its own KV_PATH ` +
        "(two servers cannot share one local KV file: neither would see the other's leads live)",
    );
  }
  return claim.handle;
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
