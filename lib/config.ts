// The app's configuration: read once from the environment and validated; a bad value names its
// variable. Sits at the bottom of lib/ (it imports only leaf modules), so any module may read it.

import { fileURLToPath } from "node:url";
import { passwordPolicyProblem } from "./auth/password_policy.ts";
import { checkEmail, MAX_EMAIL_LENGTH } from "./email.ts";
import { isPhoneCountry, PHONE_COUNTRIES } from "./format/phone.ts";

/** How much the logger prints. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Credentials of the Meta app; absent in demo mode. */
export interface MetaConfig {
  appSecret: string;
  verifyToken: string;
  /** Token used for every page unless `pageTokens` has one for it. */
  accessToken: string | null;
  /** Per-page tokens, `{ "<page_id>": "<page token>" }`. */
  pageTokens: Record<string, string>;
}

/** Everything the app reads from its environment. */
export interface Config {
  port: number;
  hostname: string;
  /**
   * Deno KV location: a file path or `:memory:`; null is the platform's own store, the default on
   * Deno Deploy (where `DENO_DEPLOYMENT_ID` is set and nothing may write to the file system).
   */
  kvPath: string | null;
  logLevel: LogLevel;
  /** Null means demo mode: no Meta credentials, a built-in Graph API simulator answers instead. */
  meta: MetaConfig | null;
  graphApiBase: string;
  graphApiVersion: string;
  /** Largest webhook body accepted, in bytes. */
  webhookBodyLimit: number;
  /**
   * `WEBHOOK_INBOX_THRESHOLD` (default 8, 0 to 100,000): deliveries waiting to be stored at which
   * the webhook stops waiting for a delivery's leads and answers once the delivery is durable in
   * the inbox (lib/leads/inbox.ts). 0 answers every delivery that way; 100,000 none.
   */
  webhookInboxThreshold: number;
  /** Port of the demo Graph API simulator (loopback only). */
  simulatorPort: number;
  /** Background jobs (lead details fetches): lease, attempts and retry wait. */
  jobs: JobsConfig;
  /** The live dashboard: event stream cap and heartbeat, the island's resync interval. */
  live: LiveConfig;
  /** Reconciliation with Meta: cron period, overlap, minimum interval, backfill. */
  reconcile: ReconcileConfig;
  /** `DEFAULT_PHONE_COUNTRY` (e.g. "US"): hand-entered national numbers become E.164; null keeps digits. */
  defaultPhoneCountry: string | null;
  /** Bootstrap admin from `LEADLINE_ADMIN_EMAIL` and `LEADLINE_ADMIN_PASSWORD`, or null. Secret. */
  admin: AdminBootstrap | null;
  /** Lifetime of an unused sign-in session (`SESSION_TTL_HOURS`, default 12), in ms. */
  sessionTtlMs: number;
  /**
   * `TRUST_PROXY=true`: a reverse proxy in front of us sets `X-Forwarded-Proto` and
   * `X-Forwarded-For`, so those headers decide https (Secure cookies, HSTS, CSRF origin) and the
   * client address (login throttling). Off by default: anyone could send those headers.
   */
  trustProxy: boolean;
  /**
   * `METRICS_TOKEN`: a bearer token that may read `GET /metrics` (a scraper has no session); null
   * lets only signed-in admins read it. Secret.
   */
  metricsToken: string | null;
  /**
   * `READY_MAX_JOB_DELAY_SECONDS` (default 300, 0 turns the check off): `GET /health/ready` is 503
   * while a background job has been due for longer than this without a run taking it (ms).
   */
  readyMaxJobDelayMs: number;
  /** Checks of the Meta wiring (tokens, subscriptions, webhook URL): `meta:check` and the server's. */
  metaHealth: MetaHealthConfig;
  /** Beyond the open tab (issue 15): Web Push, outbound webhooks, the Conversions API. */
  beyondTab: BeyondTabConfig;
  /** Data care: how long leads and raw webhook deliveries are kept. */
  retention: RetentionConfig;
}

/** How long personal data and raw deliveries are kept. */
export interface RetentionConfig {
  /**
   * `LEAD_RETENTION_DAYS` (off by default, 1 to 36,500): leads created longer ago than this are
   * purged with every key they have; null keeps leads for ever.
   */
  leadDays: number | null;
  /** `DELIVERY_RETENTION_DAYS` (default 30, 1 to 3,650): how long raw webhook deliveries are kept. */
  deliveryDays: number;
}

/** What the Meta health checks need beyond the credentials. */
export interface MetaHealthConfig {
  /** `META_APP_ID`: needed for `debug_token` (validity, expiry, scopes) and to find our app among a page's. */
  appId: string | null;
  /** `PUBLIC_URL`: the https address Meta calls; its `/webhook` must answer the verification handshake. */
  publicUrl: string | null;
  /** `META_CHECK_EVERY_MINUTES` (default 1, 1 to 59): how often the server runs the checks. */
  everyMinutes: number;
}

/** The admin that start-up creates or updates (`ensureAdmin`). The password is a secret. */
export interface AdminBootstrap {
  email: string;
  password: string;
}

/** How background jobs run; the defaults suit production, tests shorten them. */
export interface JobsConfig {
  /**
   * `JOB_LEASE_MS` (default 10 000): a crashed run's job is taken over after this. A live run
   * renews its lease every third of it (heartbeat), so it only bounds how long a crash delays.
   */
  leaseMs: number;
  /** `JOB_MAX_ATTEMPTS` (default 8): attempts before a job fails for good. */
  maxAttempts: number;
  /** `JOB_RETRY_DELAY_MS`: a fixed wait between attempts; null (default) means 1 s, 5 s, 30 s ... */
  backoffMs: number | null;
}

/** The live dashboard's stream and fallbacks; tests shorten the intervals. */
export interface LiveConfig {
  /** `SSE_MAX_STREAMS` (default 1,000): open event streams per process; past it 503 + Retry-After. */
  maxStreams: number;
  /** `SSE_HEARTBEAT_MS` (default 15 000): a comment line on an idle stream keeps proxies open. */
  heartbeatMs: number;
  /**
   * `SSE_MAX_STREAMS_PER_SESSION` (default 5): open event streams one sign-in may hold; one more
   * ends that session's oldest stream, so one session cannot take every slot.
   */
  maxStreamsPerSession: number;
  /**
   * `SSE_WRITE_TIMEOUT_MS` (default 30 000): a stream whose client has not taken one write within
   * this (it stopped reading and the socket's buffers are full) is dropped, freeing its slot.
   */
  writeTimeoutMs: number;
  /**
   * `SSE_SESSION_CHECK_MS` (default 30 000): how often open streams check that their session
   * still holds (expired ones end); sign-out, disable and removal end them at once regardless.
   */
  sessionCheckMs: number;
  /**
   * `SSE_NAME_WAIT_MS` (default 25, 0 off): how long a new Meta lead whose answers this process is
   * fetching is held back from the streams, so that when Meta answers quickly each dashboard gets
   * it once, with its name. Never when recent fetches took longer.
   */
  nameWaitMs: number;
  /** `DASHBOARD_RESYNC_MS` (default 60 000): how often an open dashboard resyncs and asks for a sync. */
  resyncMs: number;
}

/** How reconciliation with Meta runs. */
export interface ReconcileConfig {
  /** `RECONCILE_EVERY_MINUTES` (default 15, 1 to 59): the Deno.cron sweep's period. */
  everyMinutes: number;
  /** `RECONCILE_OVERLAP_MINUTES` (default 10): each listing starts this far before the last sweep. */
  overlapMs: number;
  /** `SYNC_MIN_INTERVAL_SECONDS` (default 60): requests sooner than this get the last result. */
  minIntervalMs: number;
  /** `BACKFILL_DAYS` (default 90): how far back the first sweep of a form goes. */
  backfillDays: number;
}

/** A configuration value is missing or wrong; `variable` names the environment variable. */
export class ConfigError extends Error {
  /** The environment variable at fault. */
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

/** Where the KV file lives unless `KV_PATH` says otherwise (its folder is created on demand). */
// fileURLToPath, not URL.pathname: the latter keeps %20 for a space in the project's path.
export const DEFAULT_KV_PATH = fileURLToPath(new URL("../data/leadline.kv", import.meta.url));

/** Reads and validates the configuration from `env` (default: the process environment). */
export function loadConfig(env: Env = Deno.env.toObject()): Config {
  return {
    port: readInt(env, "PORT", 8000, 0, 65535),
    hostname: readString(env, "HOSTNAME", "127.0.0.1"),
    kvPath: value(env, "KV_PATH") ??
      (value(env, "DENO_DEPLOYMENT_ID") ? null : DEFAULT_KV_PATH),
    logLevel: readLogLevel(env),
    meta: readMeta(env),
    graphApiBase: readUrl(env, "GRAPH_API_BASE", "https://graph.facebook.com"),
    graphApiVersion: readVersion(env),
    webhookBodyLimit: readInt(env, "WEBHOOK_BODY_LIMIT", 1024 * 1024, 1024, 64 * 1024 * 1024),
    webhookInboxThreshold: readInt(env, "WEBHOOK_INBOX_THRESHOLD", 8, 0, 100_000),
    simulatorPort: readInt(env, "GRAPH_SIMULATOR_PORT", 8787, 0, 65535),
    jobs: {
      leaseMs: readInt(env, "JOB_LEASE_MS", 10_000, 1_000, 60 * 60 * 1000),
      maxAttempts: readInt(env, "JOB_MAX_ATTEMPTS", 8, 1, 100),
      backoffMs: value(env, "JOB_RETRY_DELAY_MS") === undefined
        ? null
        : readInt(env, "JOB_RETRY_DELAY_MS", 0, 0, 24 * 60 * 60 * 1000),
    },
    live: {
      maxStreams: readInt(env, "SSE_MAX_STREAMS", 1000, 1, 100_000),
      heartbeatMs: readInt(env, "SSE_HEARTBEAT_MS", 15_000, 50, 10 * 60 * 1000),
      maxStreamsPerSession: readInt(env, "SSE_MAX_STREAMS_PER_SESSION", 5, 1, 100),
      writeTimeoutMs: readInt(env, "SSE_WRITE_TIMEOUT_MS", 30_000, 100, 10 * 60 * 1000),
      sessionCheckMs: readInt(env, "SSE_SESSION_CHECK_MS", 30_000, 100, 60 * 60 * 1000),
      nameWaitMs: readInt(env, "SSE_NAME_WAIT_MS", 25, 0, 10_000),
      resyncMs: readInt(env, "DASHBOARD_RESYNC_MS", 60_000, 500, 24 * 60 * 60 * 1000),
    },
    reconcile: {
      everyMinutes: readInt(env, "RECONCILE_EVERY_MINUTES", 15, 1, 59),
      overlapMs: readInt(env, "RECONCILE_OVERLAP_MINUTES", 10, 0, 24 * 60) * 60_000,
      minIntervalMs: readInt(env, "SYNC_MIN_INTERVAL_SECONDS", 60, 0, 24 * 60 * 60) * 1000,
      backfillDays: readInt(env, "BACKFILL_DAYS", 90, 1, 3650),
    },
    defaultPhoneCountry: readPhoneCountry(env),
    admin: readAdmin(env),
    sessionTtlMs: readInt(env, "SESSION_TTL_HOURS", 12, 1, 24 * 90) * 60 * 60 * 1000,
    trustProxy: readBoolean(env, "TRUST_PROXY", false),
    metaHealth: {
      appId: readDigits(env, "META_APP_ID"),
      publicUrl: value(env, "PUBLIC_URL") === undefined ? null : readUrl(env, "PUBLIC_URL", ""),
      everyMinutes: readInt(env, "META_CHECK_EVERY_MINUTES", 1, 1, 59),
    },
    metricsToken: readMetricsToken(env),
    readyMaxJobDelayMs: readInt(env, "READY_MAX_JOB_DELAY_SECONDS", 300, 0, 7 * 24 * 60 * 60) *
      1000,
    beyondTab: readBeyondTab(env),
    retention: {
      leadDays: value(env, "LEAD_RETENTION_DAYS") === undefined
        ? null
        : readInt(env, "LEAD_RETENTION_DAYS", 0, 1, 36_500),
      deliveryDays: readInt(env, "DELIVERY_RETENTION_DAYS", 30, 1, 3650),
    },
  };
}

function readDigits(env: Env, name: string): string | null {
  const raw = value(env, name);
  if (raw === undefined) return null;
  if (!/^\d{1,30}$/.test(raw)) throw new ConfigError(name, `expected a numeric id, got "${raw}"`);
  return raw;
}

/** True when no Meta credentials are configured. */
export function isDemo(config: Config): boolean {
  return config.meta === null;
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === "" ? undefined : raw;
}

function readString(env: Env, name: string, fallback: string): string {
  return value(env, name) ?? fallback;
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `expected ${min} to ${max}, got ${n}`);
  return n;
}

function readLogLevel(env: Env): LogLevel {
  const raw = value(env, "LOG_LEVEL") ?? "info";
  const levels: LogLevel[] = ["debug", "info", "warn", "error", "silent"];
  if (!levels.includes(raw as LogLevel)) {
    throw new ConfigError("LOG_LEVEL", `expected one of ${levels.join(", ")}, got "${raw}"`);
  }
  return raw as LogLevel;
}

function readUrl(env: Env, name: string, fallback: string): string {
  const raw = value(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, "");
}

function readVersion(env: Env): string {
  const raw = value(env, "GRAPH_API_VERSION") ?? "v25.0";
  if (!/^v\d+\.\d+$/.test(raw)) {
    throw new ConfigError("GRAPH_API_VERSION", `expected a version like v25.0, got "${raw}"`);
  }
  return raw;
}

function readPhoneCountry(env: Env): string | null {
  const raw = value(env, "DEFAULT_PHONE_COUNTRY")?.toUpperCase();
  if (raw === undefined) return null;
  if (!isPhoneCountry(raw)) {
    throw new ConfigError(
      "DEFAULT_PHONE_COUNTRY",
      `expected a country code such as US, GB or DE (one of ${
        PHONE_COUNTRIES.join(", ")
      }), got "${raw}"`,
    );
  }
  return raw;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (["true", "1", "yes"].includes(raw)) return true;
  if (["false", "0", "no"].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

// The token goes into an `Authorization: Bearer` header and guards the metrics: at least 16
// visible ASCII characters (`openssl rand -hex 32` makes a good one). Never echoed in the message.
function readMetricsToken(env: Env): string | null {
  const raw = value(env, "METRICS_TOKEN");
  if (raw === undefined) return null;
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError("METRICS_TOKEN", "expected visible ASCII characters without spaces");
  }
  if (raw.length < 16) {
    throw new ConfigError("METRICS_TOKEN", `expected at least 16 characters, got ${raw.length}`);
  }
  return raw;
}

// Both or neither; the password is checked against the policy here so a bad one stops start-up
// with the variable's name, and it never appears in the message.
function readAdmin(env: Env): AdminBootstrap | null {
  const email = value(env, "LEADLINE_ADMIN_EMAIL");
  const password = env["LEADLINE_ADMIN_PASSWORD"];
  const hasPassword = password !== undefined && password !== "";
  if (!email && !hasPassword) return null;
  if (!email) {
    throw new ConfigError(
      "LEADLINE_ADMIN_EMAIL",
      "LEADLINE_ADMIN_PASSWORD is set without it; set both or neither",
    );
  }
  if (!hasPassword) {
    throw new ConfigError(
      "LEADLINE_ADMIN_PASSWORD",
      "LEADLINE_ADMIN_EMAIL is set without it; set both or neither",
    );
  }
  // The rules accounts apply (lib/email.ts, lib/auth/password_policy.ts), checked here so a bad
  // value stops start-up with the variable's name; the password never appears in the message.
  if (!checkEmail(email, { dottedDomain: false }).ok) {
    throw new ConfigError(
      "LEADLINE_ADMIN_EMAIL",
      `it must look like name@example.com, without spaces, in at most ${MAX_EMAIL_LENGTH} characters`,
    );
  }
  const problem = passwordPolicyProblem(password);
  if (problem !== null) throw new ConfigError("LEADLINE_ADMIN_PASSWORD", problem);
  return { email, password };
}

function readMeta(env: Env): MetaConfig | null {
  const appSecret = value(env, "META_APP_SECRET");
  const verifyToken = value(env, "META_VERIFY_TOKEN");
  const accessToken = value(env, "META_ACCESS_TOKEN") ?? null;
  const pageTokensRaw = value(env, "META_PAGE_TOKENS");
  if (!appSecret && !verifyToken && !accessToken && !pageTokensRaw) return null;

  const missing: string[] = [];
  if (!appSecret) missing.push("META_APP_SECRET");
  if (!verifyToken) missing.push("META_VERIFY_TOKEN");
  if (!accessToken && !pageTokensRaw) missing.push("META_ACCESS_TOKEN (or META_PAGE_TOKENS)");
  if (missing.length > 0) {
    throw new ConfigError(
      missing[0].split(" ")[0],
      `Meta credentials are partly set; also set ${missing.join(", ")}, ` +
        "or unset them all to run in demo mode",
    );
  }
  return {
    appSecret: appSecret!,
    verifyToken: verifyToken!,
    accessToken,
    pageTokens: pageTokensRaw ? parsePageTokens(pageTokensRaw) : {},
  };
}

function parsePageTokens(raw: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("META_PAGE_TOKENS", 'expected a JSON object {"<page_id>": "<token>"}');
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("META_PAGE_TOKENS", 'expected a JSON object {"<page_id>": "<token>"}');
  }
  const tokens: Record<string, string> = {};
  for (const [pageId, token] of Object.entries(parsed)) {
    if (!/^\d+$/.test(pageId)) {
      throw new ConfigError("META_PAGE_TOKENS", `key "${pageId}" is not a numeric page id`);
    }
    if (typeof token !== "string" || token === "") {
      throw new ConfigError("META_PAGE_TOKENS", `the token for page ${pageId} is not a string`);
    }
    tokens[pageId] = token;
  }
  return tokens;
}

/** Web Push (VAPID), outbound webhooks and the Conversions API for CRM. */
export interface BeyondTabConfig {
  /**
   * `VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY` (both or neither, base64url as web-push makes
   * them); null: a key pair generated at the first start and kept in KV. The private key is secret.
   */
  vapidKeys: { publicKey: string; privateKey: string } | null;
  /** `VAPID_SUBJECT`: a `mailto:` or `https:` contact push services may use; null: PUBLIC_URL. */
  vapidSubject: string | null;
  /** `OUTBOUND_WEBHOOK_TIMEOUT_MS` (default 10,000): how long one delivery waits for an answer. */
  outboundTimeoutMs: number;
  /** `OUTBOUND_WEBHOOK_RETRY_MS`: a fixed wait between attempts (tests); null: 10 s rising to 2 h. */
  outboundRetryMs: number | null;
  /** `OUTBOUND_WEBHOOK_GIVE_UP_MS` (default 24 h): a delivery still failing after this fails. */
  outboundGiveUpMs: number;
  /** `META_DATASET_ID`: the dataset (pixel) CRM events go to; null leaves the Conversions API off. */
  datasetId: string | null;
}

function readBeyondTab(env: Env): BeyondTabConfig {
  const publicKey = value(env, "VAPID_PUBLIC_KEY");
  const privateKey = value(env, "VAPID_PRIVATE_KEY");
  if ((publicKey === undefined) !== (privateKey === undefined)) {
    const missing = publicKey === undefined ? "VAPID_PUBLIC_KEY" : "VAPID_PRIVATE_KEY";
    throw new ConfigError(missing, "set both VAPID keys or neither (then one is generated)");
  }
  if (publicKey !== undefined && !/^[A-Za-z0-9_-]{86,87}$/.test(publicKey)) {
    throw new ConfigError("VAPID_PUBLIC_KEY", "expected a 65-byte P-256 key in base64url");
  }
  if (privateKey !== undefined && !/^[A-Za-z0-9_-]{42,43}=?$/.test(privateKey)) {
    throw new ConfigError("VAPID_PRIVATE_KEY", "expected a 32-byte key in base64url");
  }
  const subject = value(env, "VAPID_SUBJECT") ?? null;
  if (subject !== null && !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(subject)) {
    throw new ConfigError(
      "VAPID_SUBJECT",
      `expected mailto:<address> or an https URL, got "${subject}"`,
    );
  }
  return {
    vapidKeys: publicKey && privateKey ? { publicKey, privateKey } : null,
    vapidSubject: subject,
    outboundTimeoutMs: readInt(env, "OUTBOUND_WEBHOOK_TIMEOUT_MS", 10_000, 100, 60_000),
    outboundRetryMs: value(env, "OUTBOUND_WEBHOOK_RETRY_MS") === undefined
      ? null
      : readInt(env, "OUTBOUND_WEBHOOK_RETRY_MS", 0, 0, 24 * 60 * 60 * 1000),
    outboundGiveUpMs: readInt(
      env,
      "OUTBOUND_WEBHOOK_GIVE_UP_MS",
      86_400_000,
      1_000,
      7 * 86_400_000,
    ),
    datasetId: readDigits(env, "META_DATASET_ID"),
  };
}
