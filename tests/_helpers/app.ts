// Test fixtures: the real app on an in-memory KV, in-process or on a real loopback server.

import { type Config, loadConfig } from "../../fresh.config.ts";
import { createLogger } from "../../lib/log.ts";
import { createApp, type LeadlineApp } from "../../main.ts";

/** An app built for a test, with the log lines it wrote. */
export interface TestApp {
  app: LeadlineApp;
  kv: Deno.Kv;
  config: Config;
  /** Every JSON log line the app wrote. */
  logs: string[];
  close(): Promise<void>;
}

/** A test app listening on 127.0.0.1. */
export interface TestServer extends TestApp {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Fetches a path of the server as a signed-in user (a plain fetch until accounts exist). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Builds the app in-process on an in-memory KV; `env` overrides configuration variables. */
export async function createTestApp(
  options: { env?: Record<string, string>; kv?: Deno.Kv } = {},
): Promise<TestApp> {
  const config = loadConfig({ KV_PATH: ":memory:", LOG_LEVEL: "debug", ...options.env });
  const kv = options.kv ?? await Deno.openKv(":memory:");
  const logs: string[] = [];
  const log = createLogger({ level: config.logLevel, sink: (line) => logs.push(line) });
  const app = await createApp({ config, kv, log });
  return {
    app,
    kv,
    config,
    logs,
    async close() {
      await app.close();
      if (!options.kv) kv.close();
    },
  };
}

/** Starts the app on a real server at 127.0.0.1 on a free port. */
export async function startTestServer(
  options: { env?: Record<string, string>; kv?: Deno.Kv } = {},
): Promise<TestServer> {
  const testApp = await createTestApp(options);
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    testApp.app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    ...testApp,
    url,
    fetch: (path, init) => fetch(url + path, init),
    async close() {
      await server.shutdown();
      await testApp.close();
    },
  };
}
