// Runs the Meta health checks: each token (debug_token), each page's leadgen subscription and forms, the webhook URL.

import type { GraphAdminClient, TokenDebugInfo } from "../facebook/graph_admin.ts";
import { GraphApiError, redactSecrets } from "../facebook/graph_errors.ts";
import { randomToken } from "../crypto.ts";
import type {
  CheckedSubject,
  CheckStatus,
  MetaHealthReport,
  MetaProblem,
  MetaProblemKind,
  PageCheck,
  TokenCheck,
  WebhookCheck,
} from "./types.ts";

/** The permissions lead retrieval needs (the README lists them). */
export const REQUIRED_SCOPES: readonly string[] = [
  "leads_retrieval",
  "pages_show_list",
  "pages_read_engagement",
  "pages_manage_metadata",
];

/** How soon an expiry becomes a warning: 7 days. */
export const EXPIRING_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;

/** A configured token to check. `token` is a secret: it never leaves this module in a report. */
export interface TokenToCheck {
  /** Where it is configured, e.g. `META_ACCESS_TOKEN`. */
  label: string;
  token: string;
  /** The page whose own token it is; null for the token used for every other page. */
  pageId: string | null;
}

/** What the checks run with. */
export interface MetaCheckOptions {
  graph: GraphAdminClient;
  appSecret: string;
  /** Our app's id; without it `debug_token` cannot be asked and other apps' subscriptions look like ours. */
  appId: string | null;
  tokens: TokenToCheck[];
  /**
   * The pages to check. When empty, the pages the shared token manages (`/me/accounts`) are
   * checked, so a fresh install sees its pages before the first lead.
   */
  pageIds: string[];
  /** The public webhook URL and our verify token; url null when it is not configured. */
  webhook: { url: string | null; verifyToken: string; why?: string };
  /** Subscribe pages that lack `leadgen` (`meta:check --subscribe`). */
  subscribe?: boolean;
  /** List each page's lead forms (default true). */
  listForms?: boolean;
  /** Forms already known per page (the server passes the sweep's), used when not listing. */
  knownForms?: (pageId: string) => Promise<PageCheck["forms"]>;
  now?: () => Date;
  /** The fetch the handshake uses (tests). */
  fetch?: typeof fetch;
  /** Handshake timeout; default 10 s. */
  webhookTimeoutMs?: number;
  /** Most pages taken from `/me/accounts` when no page is given (default 100). */
  accountsLimit?: number;
}

/** Formats a duration for people: "3 days", "5 hours", "12 minutes". */
export function describeDuration(ms: number): string {
  const abs = Math.abs(ms);
  const units: [number, string][] = [
    [24 * 60 * 60 * 1000, "day"],
    [60 * 60 * 1000, "hour"],
    [60 * 1000, "minute"],
  ];
  const plural = (count: number, name: string) => `${count} ${name}${count === 1 ? "" : "s"}`;
  for (const [index, [size, name]] of units.entries()) {
    if (abs >= size) {
      const count = Math.floor(abs / size);
      // "2 days 23 hours" reads better than "2 days" when the rest is most of another day.
      const [nextSize, nextName] = units[index + 1] ?? [0, ""];
      const rest = nextSize > 0 && count < 7 ? Math.floor((abs - count * size) / nextSize) : 0;
      return rest > 0 ? `${plural(count, name)} ${plural(rest, nextName)}` : plural(count, name);
    }
  }
  return "less than a minute";
}

function isoOrNever(unixSeconds: number | null): string | "never" | null {
  if (unixSeconds === null) return null;
  return unixSeconds === 0 ? "never" : new Date(unixSeconds * 1000).toISOString();
}

/** The worse of two statuses (error > unknown > warning > ok/skipped). */
function worse(a: CheckStatus, b: CheckStatus): CheckStatus {
  const rank: Record<CheckStatus, number> = { skipped: 0, ok: 0, warning: 1, unknown: 2, error: 3 };
  return rank[b] > rank[a] ? b : a;
}

/**
 * Runs every check once and returns the report. Never throws for Meta's answers: a refusal is a
 * problem in the report, a Graph API that does not answer makes the affected checks `unknown`.
 * No token, proof or secret appears anywhere in the report.
 */
export async function runMetaCheck(options: MetaCheckOptions): Promise<MetaHealthReport> {
  const now = options.now ?? (() => new Date());
  const checkedAt = now();
  const secrets = [options.appSecret, ...options.tokens.map((token) => token.token)];
  const clean = (text: string) => redactSecrets(text, secrets);
  const problems: MetaProblem[] = [];
  const checked: CheckedSubject[] = [];
  const notes: string[] = [];
  const problem = (
    kind: MetaProblemKind,
    pageId: string | null,
    severity: "warning" | "error",
    message: string,
  ) => problems.push({ kind, pageId, severity, message: clean(message) });
  const decided = (kind: MetaProblemKind, pageId: string | null) => checked.push({ kind, pageId });

  if (options.tokens.length === 0) {
    notes.push("No access token is configured (META_ACCESS_TOKEN or META_PAGE_TOKENS).");
  }
  if (options.appId === null) {
    notes.push(
      "META_APP_ID is not set: token validity, expiry and permissions cannot be read " +
        "(debug_token needs the app token <app_id>|<app_secret>), and a page's subscription " +
        "cannot be told apart from another app's.",
    );
  }

  // Tokens.
  const tokenChecks: TokenCheck[] = [];
  for (const configured of options.tokens) {
    tokenChecks.push(await checkToken(options, configured, checkedAt, problem, decided, clean));
  }

  // Pages.
  const shared = options.tokens.find((token) => token.pageId === null) ?? null;
  let pageIds = [...new Set(options.pageIds)];
  const names = new Map<string, string | null>();
  if (pageIds.length === 0 && shared) {
    try {
      const accounts = await options.graph.listAccounts(shared.token, {
        limit: options.accountsLimit ?? 100,
      });
      pageIds = accounts.map((page) => page.id);
      for (const page of accounts) names.set(page.id, page.name);
      if (pageIds.length === 0) {
        notes.push(`${shared.label} manages no pages (GET /me/accounts is empty).`);
      } else {
        notes.push(`No pages are known yet: checked the pages ${shared.label} manages.`);
      }
    } catch (error) {
      if (error instanceof GraphApiError && error.kind === "token") {
        problem(
          "token_expired",
          null,
          "error",
          `Meta refused ${shared.label}: ${error.message}. Make a new token and set it.`,
        );
      }
      notes.push(
        `No pages are known yet, and the pages ${shared.label} manages could not be listed: ` +
          clean(errorText(error)),
      );
    }
  }
  for (const token of options.tokens) {
    if (token.pageId !== null && !pageIds.includes(token.pageId)) pageIds.push(token.pageId);
  }
  pageIds.sort();
  const pageChecks: PageCheck[] = [];
  for (const pageId of pageIds) {
    const token = options.tokens.find((item) => item.pageId === pageId) ?? shared;
    pageChecks.push(
      await checkPage(options, pageId, token, names.get(pageId) ?? null, problem, decided, clean),
    );
  }

  // A token debug_token could not judge (no app id) is judged by what its pages answered.
  for (const tokenCheck of tokenChecks) {
    if (tokenCheck.valid !== null) continue;
    const refused = problems.find((item) =>
      item.kind === "token_expired" && item.pageId === tokenCheck.pageId
    );
    if (refused) {
      tokenCheck.status = "error";
      tokenCheck.valid = false;
      tokenCheck.message = refused.message;
    }
  }

  const webhook = await checkWebhook(options, problem, decided);
  const statuses = [
    ...tokenChecks.map((item) => item.status),
    ...pageChecks.map((item) => item.status),
    webhook.status,
  ];
  let status = statuses.reduce<CheckStatus>((a, b) => worse(a, b), "ok");
  if (problems.some((item) => item.severity === "error")) status = worse(status, "error");
  else if (problems.length > 0) status = worse(status, "warning");
  // One problem per kind and subject: a refused token shows on the token and on each of its pages.
  const seen = new Set<string>();
  const unique = problems.filter((item) => {
    const key = `${item.kind}:${item.pageId ?? "app"}:${item.severity}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return {
    checkedAt: checkedAt.toISOString(),
    finishedAt: now().toISOString(),
    appId: options.appId,
    status: status === "skipped" ? "ok" : status,
    tokens: tokenChecks,
    pages: pageChecks,
    webhook,
    problems: unique,
    checked,
    notes,
  };
}

type AddProblem = (
  kind: MetaProblemKind,
  pageId: string | null,
  severity: "warning" | "error",
  message: string,
) => void;
type Decided = (kind: MetaProblemKind, pageId: string | null) => void;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function checkToken(
  options: MetaCheckOptions,
  configured: TokenToCheck,
  checkedAt: Date,
  problem: AddProblem,
  decided: Decided,
  clean: (text: string) => string,
): Promise<TokenCheck> {
  const result: TokenCheck = {
    label: configured.label,
    pageId: configured.pageId,
    status: "skipped",
    type: null,
    valid: null,
    expiresAt: null,
    dataAccessExpiresAt: null,
    scopes: [],
    missingScopes: [],
    appId: null,
    application: null,
    message: "",
  };
  const subject = configured.pageId;
  if (options.appId === null) {
    result.message = "validity, expiry and permissions unknown: set META_APP_ID";
    return result;
  }
  let info: TokenDebugInfo;
  try {
    info = await options.graph.debugToken(
      configured.token,
      `${options.appId}|${options.appSecret}`,
    );
  } catch (error) {
    if (
      error instanceof GraphApiError && (error.kind === "token" || error.kind === "bad_request")
    ) {
      // The call itself was refused: our app token (META_APP_ID + META_APP_SECRET) is wrong.
      result.status = "error";
      result.message = clean(
        `Meta refused the app token made of META_APP_ID and META_APP_SECRET: ${error.message}`,
      );
      problem("app_credentials", null, "error", result.message);
      return result;
    }
    result.status = "unknown";
    result.message = clean(`Meta did not answer debug_token: ${errorText(error)}`);
    problem("graph_unreachable", subject, "error", result.message);
    return result;
  }
  decided("app_credentials", null);
  result.type = info.type;
  result.valid = info.isValid;
  result.expiresAt = isoOrNever(info.expiresAt);
  result.dataAccessExpiresAt = isoOrNever(info.dataAccessExpiresAt);
  result.scopes = info.scopes;
  result.appId = info.appId;
  result.application = info.application;
  result.missingScopes = REQUIRED_SCOPES.filter((scope) => !info.scopes.includes(scope));
  decided("token_expired", subject);
  decided("token_expiring", subject);
  decided("scope_missing", subject);

  const messages: string[] = [];
  const nowMs = checkedAt.getTime();
  if (info.appId !== null && info.appId !== options.appId) {
    result.status = "error";
    messages.push(`issued for another app (${info.appId}), not META_APP_ID ${options.appId}`);
    problem(
      "token_expired",
      subject,
      "error",
      `${configured.label} was issued for another app (${info.appId}), not ${options.appId}: ` +
        "make a token for this app",
    );
  }
  const ends = [info.expiresAt, info.dataAccessExpiresAt]
    .filter((time): time is number => time !== null && time > 0)
    .map((time) => time * 1000);
  const firstEnd = ends.length > 0 ? Math.min(...ends) : null;
  if (!info.isValid) {
    result.status = "error";
    const why = info.error?.message ??
      (firstEnd !== null && firstEnd <= nowMs ? "it has expired" : "Meta says it is not valid");
    const expired = firstEnd !== null && firstEnd <= nowMs
      ? ` (expired ${describeDuration(nowMs - firstEnd)} ago, ${new Date(firstEnd).toISOString()})`
      : "";
    messages.push(`not valid${expired}: ${why}`);
    problem(
      "token_expired",
      subject,
      "error",
      `${configured.label} is not valid${expired}: ${why}. Make a new token and set it.`,
    );
  } else if (firstEnd !== null && firstEnd - nowMs <= EXPIRING_WITHIN_MS) {
    result.status = worse(result.status, "warning");
    const which = firstEnd === (info.expiresAt ?? 0) * 1000 ? "expires" : "loses data access";
    const left = describeDuration(firstEnd - nowMs);
    messages.push(`${which} in ${left} (${new Date(firstEnd).toISOString()})`);
    problem(
      "token_expiring",
      subject,
      "warning",
      `${configured.label} ${which} in ${left}, at ${new Date(firstEnd).toISOString()}: ` +
        "renew it before then.",
    );
  }
  if (info.isValid && result.missingScopes.length > 0) {
    result.status = "error";
    messages.push(`lacks ${result.missingScopes.join(", ")}`);
    problem(
      "scope_missing",
      subject,
      "error",
      `${configured.label} lacks the permission${result.missingScopes.length === 1 ? "" : "s"} ` +
        `${result.missingScopes.join(", ")}: grant ${
          result.missingScopes.length === 1 ? "it" : "them"
        } and make a new token.`,
    );
  }
  if (result.status === "skipped") result.status = "ok";
  result.message = messages.length > 0 ? clean(messages.join("; ")) : "valid";
  return result;
}

async function checkPage(
  options: MetaCheckOptions,
  pageId: string,
  token: TokenToCheck | null,
  knownName: string | null,
  problem: AddProblem,
  decided: Decided,
  clean: (text: string) => string,
): Promise<PageCheck> {
  const result: PageCheck = {
    pageId,
    name: knownName,
    tokenLabel: token?.label ?? null,
    status: "ok",
    subscribed: null,
    subscribedFields: [],
    apps: [],
    subscribeResult: null,
    forms: null,
    message: "",
  };
  if (token === null) {
    result.status = "error";
    result.message = `no access token is configured for page ${pageId}`;
    problem(
      "page_unreachable",
      pageId,
      "error",
      `No access token is configured for page ${pageId}: set META_ACCESS_TOKEN or add the page ` +
        "to META_PAGE_TOKENS.",
    );
    return result;
  }
  /** Records a Graph failure on this page; token refusals also count against the token. */
  const failed = (what: string, error: unknown): PageCheck => {
    const text = clean(`${what}: ${errorText(error)}`);
    if (error instanceof GraphApiError && error.kind === "token") {
      result.status = "error";
      problem(
        "token_expired",
        token.pageId,
        "error",
        `Meta refused ${token.label} (page ${pageId}): ${clean(error.message)}`,
      );
    } else if (error instanceof GraphApiError && error.kind === "permission") {
      result.status = "error";
      problem(
        "scope_missing",
        pageId,
        "error",
        `${text}. The token's user needs a role on the page (MANAGE or CREATE_CONTENT) and the ` +
          "pages_manage_metadata and pages_show_list permissions.",
      );
    } else if (error instanceof GraphApiError && error.kind === "not_found") {
      result.status = "error";
      problem("page_unreachable", pageId, "error", `Meta does not know page ${pageId}: ${text}`);
    } else {
      result.status = "unknown";
      problem("graph_unreachable", pageId, "error", text);
    }
    result.message = text;
    return result;
  };

  let pageToken: string;
  try {
    const access = await options.graph.getPageAccess(pageId, token.token);
    result.name = access.name ?? result.name;
    if (access.accessToken === null) {
      result.status = "error";
      result.message =
        `${token.label} cannot manage page ${pageId}: Meta gave no page token for it`;
      problem(
        "scope_missing",
        pageId,
        "error",
        `${result.message}. Give the token's user a role on the page and pages_show_list.`,
      );
      return result;
    }
    pageToken = access.accessToken;
  } catch (error) {
    return failed(`Cannot read page ${pageId}`, error);
  }
  decided("page_unreachable", pageId);

  try {
    result.apps = await options.graph.listSubscribedApps(pageId, pageToken);
  } catch (error) {
    return failed(`Cannot read the webhook subscriptions of page ${pageId}`, error);
  }
  decided("scope_missing", pageId);
  const ours = options.appId === null
    ? result.apps.find((app) => app.subscribedFields.includes("leadgen"))
    : result.apps.find((app) => app.id === options.appId);
  result.subscribedFields = ours?.subscribedFields ?? [];
  result.subscribed = result.subscribedFields.includes("leadgen");
  if (!result.subscribed && options.subscribe) {
    try {
      const ok = await options.graph.subscribeApp(pageId, pageToken, ["leadgen"]);
      result.subscribeResult = ok ? "subscribed" : "failed";
      if (ok) {
        result.apps = await options.graph.listSubscribedApps(pageId, pageToken);
        const now = options.appId === null
          ? result.apps.find((app) => app.subscribedFields.includes("leadgen"))
          : result.apps.find((app) => app.id === options.appId);
        result.subscribedFields = now?.subscribedFields ?? [];
        result.subscribed = result.subscribedFields.includes("leadgen");
      }
    } catch (error) {
      result.subscribeResult = "failed";
      result.message = clean(`subscribing failed: ${errorText(error)}`);
    }
  }
  decided("page_unsubscribed", pageId);
  if (!result.subscribed) {
    result.status = "error";
    const text =
      `The app is not subscribed to leadgen webhooks of page ${
        result.name ? `${result.name} (${pageId})` : pageId
      }: Meta sends its leads to no one. Run \`deno task meta:check --subscribe\`, or ` +
      `POST /${pageId}/subscribed_apps?subscribed_fields=leadgen with the page's token.`;
    problem("page_unsubscribed", pageId, "error", text);
    result.message = result.message || "not subscribed to leadgen";
  } else {
    result.message = result.subscribeResult === "subscribed"
      ? "subscribed to leadgen just now"
      : options.appId === null
      ? "an app is subscribed to leadgen (set META_APP_ID to tell whether it is this one)"
      : "subscribed to leadgen";
  }

  if (options.listForms ?? true) {
    try {
      result.forms = (await options.graph.listPageForms(pageId, token.token)).map((form) => ({
        id: form.id,
        name: form.name,
        status: form.status,
      }));
    } catch (error) {
      result.message += clean(`; its lead forms could not be listed: ${errorText(error)}`);
    }
  } else if (options.knownForms) {
    result.forms = await options.knownForms(pageId);
  }
  return result;
}

async function checkWebhook(
  options: MetaCheckOptions,
  problem: AddProblem,
  decided: Decided,
): Promise<WebhookCheck> {
  const url = options.webhook.url;
  if (url === null) {
    return {
      url: null,
      status: "skipped",
      httpStatus: null,
      message: options.webhook.why ??
        "not checked: set PUBLIC_URL to the https address Meta calls",
    };
  }
  const doFetch = options.fetch ?? fetch;
  const challenge = randomToken(12);
  const target = new URL(url);
  target.searchParams.set("hub.mode", "subscribe");
  target.searchParams.set("hub.verify_token", options.webhook.verifyToken);
  target.searchParams.set("hub.challenge", challenge);
  const secrets = [options.webhook.verifyToken, options.appSecret];
  const fail = (message: string, httpStatus: number | null): WebhookCheck => {
    const text = redactSecrets(message, secrets);
    problem("webhook_unreachable", null, "error", `The webhook URL ${url} ${text}`);
    return { url, status: "error", httpStatus, message: text };
  };
  decided("webhook_unreachable", null);
  let response: Response;
  let body: string;
  try {
    response = await doFetch(target, {
      signal: AbortSignal.timeout(options.webhookTimeoutMs ?? 10_000),
      headers: { "user-agent": "Leadline meta:check" },
    });
    body = (await response.text()).slice(0, 500);
  } catch (error) {
    const cause = (error as Error)?.cause ? `: ${(error as Error).cause}` : "";
    // The error may quote the URL with its query (the verify token): keep the reason only.
    const reason = `${errorText(error)}${cause}`.replace(/\?[^\s)]*/g, "");
    return fail(`does not answer: ${reason}`, null);
  }
  if (response.status !== 200) {
    return fail(
      `answered the verification handshake with HTTP ${response.status}, not 200 with the ` +
        "challenge (is META_VERIFY_TOKEN the same in Meta's app settings, and is /webhook routed?)",
      response.status,
    );
  }
  if (body !== challenge) {
    return fail(
      "answered 200 but not with the challenge: something other than Leadline answers there",
      response.status,
    );
  }
  if (target.protocol !== "https:" && !["127.0.0.1", "localhost"].includes(target.hostname)) {
    problem(
      "webhook_unreachable",
      null,
      "warning",
      `The webhook URL ${url} answers, but Meta only calls https URLs`,
    );
    return {
      url,
      status: "warning",
      httpStatus: 200,
      message: "answers the handshake, but Meta only calls https URLs",
    };
  }
  return { url, status: "ok", httpStatus: 200, message: "answers the verification handshake" };
}

/** `PUBLIC_URL` as the webhook's URL: `<base>/webhook`, or the URL itself when it ends in /webhook. */
export function webhookUrlOf(publicUrl: string): string {
  const url = new URL(publicUrl);
  if (!/\/webhook\/?$/.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/+$/, "") + "/webhook";
  }
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** The tokens to check from the Meta credentials: the shared token, then each page's own. */
export function configuredTokens(
  meta: { accessToken: string | null; pageTokens: Record<string, string> },
): TokenToCheck[] {
  const tokens: TokenToCheck[] = [];
  if (meta.accessToken) {
    tokens.push({ label: "META_ACCESS_TOKEN", token: meta.accessToken, pageId: null });
  }
  for (const [pageId, token] of Object.entries(meta.pageTokens).sort()) {
    tokens.push({ label: `META_PAGE_TOKENS[${pageId}]`, token, pageId });
  }
  return tokens;
}
