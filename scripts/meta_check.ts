// `deno task meta:check [--subscribe] [--page ID] [--json]`: is Meta wired correctly? Tokens, pages, webhook URL.
//
// With Meta credentials set it asks Meta: each token's validity, type, expiry and permissions
// (debug_token, needs META_APP_ID), each page's leadgen subscription and forms, and whether
// PUBLIC_URL's /webhook answers the verification handshake. With none set (demo mode) it checks
// the running demo server's Graph API simulator the same way. Exit 0 when all is well, 1 when
// anything is wrong, 2 when it cannot run.

import { ConfigError, loadConfig } from "../lib/config.ts";
import { createGraphAdminClient } from "../lib/facebook/graph_admin.ts";
import {
  configuredTokens,
  runMetaCheck,
  type TokenToCheck,
  webhookUrlOf,
} from "../lib/meta_health/check.ts";
import { formatReport } from "../lib/meta_health/format.ts";
import { listKnownPageIds } from "../lib/reconcile/pages.ts";

const USAGE = `Usage: deno task meta:check [--subscribe] [--page PAGE_ID]... [--json]

  --subscribe      subscribe the app to leadgen on every checked page that lacks it
  --page PAGE_ID   check this page too (repeatable); by default the pages in META_PAGE_TOKENS and
                   those Leadline knows from its KV file, else every page the token manages
  --json           print the report as JSON instead of tables

Live mode reads META_APP_SECRET, META_VERIFY_TOKEN, META_ACCESS_TOKEN / META_PAGE_TOKENS,
META_APP_ID (for token expiry and permissions), PUBLIC_URL (the webhook's public address),
GRAPH_API_BASE, GRAPH_API_VERSION and KV_PATH. With no META_* variables set it checks the demo
server's simulator (GRAPH_SIMULATOR_PORT, default 8787; PORT, default 8000).

Exit status: 0 all checks passed, 1 something is wrong, 2 the check could not run.`;

/** Where the CLI writes and what it reads; tests pass their own. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
}

interface Flags {
  subscribe: boolean;
  pages: string[];
  json: boolean;
  help: boolean;
}

class UsageError extends Error {}

function parseFlags(args: string[]): Flags {
  const flags: Flags = { subscribe: false, pages: [], json: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].split("=", 2);
    switch (name) {
      case "--subscribe":
        flags.subscribe = true;
        break;
      case "--json":
        flags.json = true;
        break;
      case "--help":
      case "-h":
        flags.help = true;
        break;
      case "--page": {
        const value = inline ?? args[++i];
        if (value === undefined || !/^\d{1,30}$/.test(value)) {
          throw new UsageError("--page needs a numeric page id");
        }
        flags.pages.push(value);
        break;
      }
      default:
        throw new UsageError(`Unknown option ${args[i]}`);
    }
  }
  return flags;
}

function port(env: CliIo["env"], name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new UsageError(`${name} must be a port number, got "${raw}"`);
  }
  return value;
}

/** The demo run's credentials, from its simulator's control API; null when none answers. */
async function demoCredentials(simUrl: string) {
  try {
    const res = await fetch(`${simUrl}/__sim/credentials`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const body = await res.json();
    if (typeof body?.appSecret !== "string" || typeof body?.accessToken !== "string") return null;
    return body as {
      appId: string;
      appSecret: string;
      accessToken: string;
      verifyToken: string | null;
    };
  } catch {
    return null;
  }
}

/** Pages Leadline knows from its KV file (seen and added in settings); none when there is no file. */
async function knownPages(kvPath: string | null, configured: string[]): Promise<string[]> {
  if (kvPath === null || kvPath === ":memory:") return [];
  try {
    await Deno.stat(kvPath);
  } catch {
    return []; // no file yet: do not create one just to read it
  }
  const kv = await Deno.openKv(kvPath);
  try {
    return await listKnownPageIds(kv, configured);
  } finally {
    kv.close();
  }
}

/** Runs the command; resolves to its exit status. */
export async function metaCheckCli(args: string[], io: CliIo): Promise<number> {
  let flags: Flags;
  let config;
  try {
    flags = parseFlags(args);
    if (flags.help) {
      io.out(USAGE);
      return 0;
    }
    config = loadConfig(io.env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`Cannot check Meta: ${error.message}`);
      return 2;
    }
    throw error;
  }

  let tokens: TokenToCheck[];
  let appSecret: string;
  let appId: string | null;
  let verifyToken: string;
  let baseUrl: string;
  let pageIds: string[];
  let webhookUrl: string | null;
  let heading: string | undefined;
  if (config.meta) {
    tokens = configuredTokens(config.meta);
    appSecret = config.meta.appSecret;
    appId = config.metaHealth.appId;
    verifyToken = config.meta.verifyToken;
    baseUrl = config.graphApiBase;
    const configured = Object.keys(config.meta.pageTokens);
    pageIds = [...new Set([...flags.pages, ...await knownPages(config.kvPath, configured)])];
    webhookUrl = config.metaHealth.publicUrl ? webhookUrlOf(config.metaHealth.publicUrl) : null;
  } else {
    let simPort: number;
    let serverPort: number;
    try {
      simPort = port(io.env, "GRAPH_SIMULATOR_PORT", 8787);
      serverPort = port(io.env, "PORT", 8000);
    } catch (error) {
      io.err(`Cannot check Meta: ${(error as Error).message}`);
      return 2;
    }
    const simUrl = `http://127.0.0.1:${simPort}`;
    const demo = await demoCredentials(simUrl);
    if (demo === null) {
      io.err(
        "Cannot check Meta: no Meta credentials are set (META_APP_SECRET, META_VERIFY_TOKEN, " +
          "META_ACCESS_TOKEN), and no demo server's simulator answers on " +
          `${simUrl} (GRAPH_SIMULATOR_PORT).\n` +
          "Set the credentials to check your Meta app, or start the demo first (deno task start) " +
          "to check it against its simulator.",
      );
      return 2;
    }
    tokens = [{ label: "demo token", token: demo.accessToken, pageId: null }];
    appSecret = demo.appSecret;
    appId = demo.appId;
    verifyToken = demo.verifyToken ?? "";
    baseUrl = simUrl;
    pageIds = flags.pages;
    webhookUrl = config.metaHealth.publicUrl
      ? webhookUrlOf(config.metaHealth.publicUrl)
      : `http://127.0.0.1:${serverPort}/webhook`;
    heading =
      `Demo mode: no META_* variables are set, so this checks the demo server's Graph API ` +
      `simulator at ${simUrl}, not Meta.`;
  }

  const report = await runMetaCheck({
    graph: createGraphAdminClient({ baseUrl, version: config.graphApiVersion, appSecret }),
    appSecret,
    appId,
    tokens,
    pageIds,
    webhook: { url: webhookUrl, verifyToken },
    subscribe: flags.subscribe,
  });
  io.out(flags.json ? JSON.stringify(report, null, 2) : formatReport(report, { heading }));
  return report.status === "ok" ? 0 : 1;
}

if (import.meta.main) {
  const code = await metaCheckCli(Deno.args, {
    env: Deno.env.toObject(),
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
  Deno.exit(code);
}
