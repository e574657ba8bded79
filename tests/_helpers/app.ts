// Test fixtures: the real app on an in-memory KV, in-process or on a real loopback server, with a
// signed-in admin whose cookie (and a same-origin Origin on state-changing requests) `fetch` sends.

import { type Config, loadConfig } from "../../lib/config.ts";
import type { PublicUser, Role } from "../../lib/auth/model.ts";
import { createSession } from "../../lib/auth/sessions.ts";
import { createUser } from "../../lib/auth/users.ts";
import { SESSION_COOKIE } from "../../lib/auth_web/cookies.ts";
import { createLogger } from "../../lib/log.ts";
import { createApp, type LeadlineApp } from "../../main.ts";

/** PBKDF2 iterations in tests: the real 600,000 is exercised in tests/auth/password_test.ts. */
export const TEST_PASSWORD_ITERATIONS = 1_000;

/** A user made for a test, signed in: its password and session cookie. */
export interface TestUser extends PublicUser {
  password: string;
  /** The raw session id (the cookie's value). */
  sessionId: string;
  /** `leadline_session=<id>`, ready for a `Cookie` header. */
  cookie: string;
}

/** An app built for a test, with the log lines it wrote. */
export interface TestApp {
  app: LeadlineApp;
  kv: Deno.Kv;
  config: Config;
  /** Every JSON log line the app wrote. */
  logs: string[];
  /** The signed-in admin that `fetch` acts as. */
  user: TestUser;
  /**
   * Fetches a path as `user`: sends its session cookie, and on POST/PUT/PATCH/DELETE an `Origin`
   * of the app itself (as a browser on our pages would). Headers in `init` win.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Adds another signed-in user, e.g. an agent for admin-only checks. */
  addUser(role: Role, fields?: { email?: string; name?: string }): Promise<TestUser>;
  close(): Promise<void>;
}

/** A test app listening on 127.0.0.1. */
export interface TestServer extends TestApp {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
}

/** Options for test apps; `env` overrides configuration variables. */
export interface TestAppOptions {
  env?: Record<string, string>;
  kv?: Deno.Kv;
}

const TEST_PASSWORD = "correct horse battery staple";
const STATE_CHANGING = ["POST", "PUT", "PATCH", "DELETE"];

/** Creates a user with fast hashing and a session; returns it with its password and cookie. */
export async function createTestUser(
  kv: Deno.Kv,
  role: Role,
  fields: { email?: string; name?: string } = {},
): Promise<TestUser> {
  const email = fields.email ?? `${role}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const user = await createUser(kv, {
    email,
    name: fields.name ?? (role === "admin" ? "Test Admin" : "Test Agent"),
    role,
    password: TEST_PASSWORD,
  }, { iterations: TEST_PASSWORD_ITERATIONS });
  const session = await createSession(kv, user);
  return {
    ...user,
    password: TEST_PASSWORD,
    sessionId: session.id,
    cookie: `${SESSION_COOKIE}=${session.id}`,
  };
}

/** Sends `path` to `handle` as `user`, with the cookie and, when state-changing, our Origin. */
function fetchAs(
  base: string,
  user: TestUser,
  handle: (req: Request) => Promise<Response>,
): TestApp["fetch"] {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("cookie")) headers.set("cookie", user.cookie);
    const method = (init.method ?? "GET").toUpperCase();
    if (STATE_CHANGING.includes(method) && !headers.has("origin")) headers.set("origin", base);
    return handle(new Request(base + path, { ...init, headers }));
  };
}

/** Runs `fn` with a fresh in-process app (see createTestApp), closing it afterwards. */
export async function withTestApp(fn: (app: TestApp) => Promise<void>): Promise<void> {
  const app = await createTestApp();
  try {
    await fn(app);
  } finally {
    await app.close();
  }
}

/** Builds the app in-process on an in-memory KV, with a signed-in admin. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    KV_PATH: ":memory:",
    LOG_LEVEL: "debug",
    // Demo-mode apps start a Graph simulator: on any free port, never the developer's 8787.
    GRAPH_SIMULATOR_PORT: "0",
    ...options.env,
  });
  const kv = options.kv ?? await Deno.openKv(":memory:");
  const logs: string[] = [];
  const log = createLogger({ level: config.logLevel, sink: (line) => logs.push(line) });
  const app = await createApp({
    config,
    kv,
    log,
    passwordIterations: TEST_PASSWORD_ITERATIONS,
  });
  const user = await createTestUser(kv, "admin");
  return {
    app,
    kv,
    config,
    logs,
    user,
    fetch: fetchAs("http://localhost", user, (req) => app.fetch(req)),
    addUser: (role, fields) => createTestUser(kv, role, fields),
    async close() {
      await app.close();
      if (!options.kv) kv.close();
    },
  };
}

/** Starts the app on a real server at 127.0.0.1 on a free port, with a signed-in admin. */
export async function startTestServer(options: TestAppOptions = {}): Promise<TestServer> {
  const testApp = await createTestApp(options);
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    testApp.app.fetch,
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  testApp.app.listening(server.addr);
  return {
    ...testApp,
    url,
    fetch: fetchAs(url, testApp.user, (req) => fetch(req)),
    async close() {
      // End the open event streams first: a graceful shutdown waits for every open response.
      await testApp.app.services.live.stop();
      await server.shutdown();
      await testApp.close();
    },
  };
}
