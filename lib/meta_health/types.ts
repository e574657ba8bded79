// The shapes of a Meta health report: tokens, pages, the webhook URL and the problems found (runtime-free).

/** How one check came out. `unknown`: Meta could not be asked; `skipped`: not configured. */
export type CheckStatus = "ok" | "warning" | "error" | "unknown" | "skipped";

/**
 * What is wrong, in a word the alerts and the table use. `token_expired` covers revoked and
 * otherwise invalid tokens too; `graph_unreachable` is Meta not answering (no alert: it passes).
 */
export type MetaProblemKind =
  | "token_expired"
  | "token_expiring"
  | "scope_missing"
  | "page_unsubscribed"
  | "page_unreachable"
  | "webhook_unreachable"
  | "graph_unreachable"
  | "app_credentials";

/** One thing that is wrong; `pageId` null means the whole app (or the token used for every page). */
export interface MetaProblem {
  kind: MetaProblemKind;
  pageId: string | null;
  severity: "warning" | "error";
  /** Readable and safe to show: never holds a token or secret. */
  message: string;
}

/** A subject the report reached a verdict on, so an alert about it may be cleared when all is well. */
export interface CheckedSubject {
  kind: MetaProblemKind;
  pageId: string | null;
}

/** One configured access token, as `debug_token` sees it. Times are ISO 8601. */
export interface TokenCheck {
  /** Where it is configured, e.g. `META_ACCESS_TOKEN` or `META_PAGE_TOKENS[1234]`. Never the token. */
  label: string;
  /** The page whose own token it is, or null for the token used for every other page. */
  pageId: string | null;
  status: CheckStatus;
  /** "USER", "PAGE", "SYSTEM_USER" …; null when unknown. */
  type: string | null;
  valid: boolean | null;
  /** ISO time it expires, "never", or null when unknown. */
  expiresAt: string | "never" | null;
  /** ISO time the app's data access ends, "never", or null when unknown. */
  dataAccessExpiresAt: string | "never" | null;
  scopes: string[];
  /** Required permissions the token lacks. */
  missingScopes: string[];
  /** The app the token was issued for, when Meta said. */
  appId: string | null;
  application: string | null;
  message: string;
}

/** A lead form on a page. */
export interface FormSummary {
  id: string;
  name: string | null;
  status: string | null;
}

/** Another app subscribed to a page's webhooks (another lead tool, a CRM connector). */
export interface AppSubscriptionSummary {
  id: string;
  name: string | null;
  subscribedFields: string[];
}

/** One page: can we reach it, is our app subscribed to its `leadgen` webhooks, what forms it has. */
export interface PageCheck {
  pageId: string;
  name: string | null;
  /** The label of the token used for it, or null when no token is configured for it. */
  tokenLabel: string | null;
  status: CheckStatus;
  /** Our app gets `leadgen` for this page; null when it could not be checked. */
  subscribed: boolean | null;
  /** The fields our app is subscribed to on this page. */
  subscribedFields: string[];
  /** Every app subscribed to the page (ours included). */
  apps: AppSubscriptionSummary[];
  /** What `--subscribe` did: null when it was not asked or not needed. */
  subscribeResult: "subscribed" | "failed" | null;
  /** The page's lead forms; null when not listed. */
  forms: FormSummary[] | null;
  message: string;
}

/** The public webhook URL's verification handshake. */
export interface WebhookCheck {
  /** The URL checked (`PUBLIC_URL` + `/webhook`), or null when none is configured. */
  url: string | null;
  status: CheckStatus;
  /** The HTTP status it answered, or null when it did not answer. */
  httpStatus: number | null;
  message: string;
}

/** Everything one run of the checks found. */
export interface MetaHealthReport {
  /** ISO 8601. */
  checkedAt: string;
  /** ISO 8601: when the run finished. */
  finishedAt: string;
  /** The app checked against (`META_APP_ID`, or the simulator's in demo mode); null when unknown. */
  appId: string | null;
  /** The worst status of all checks (`skipped` counts as ok). */
  status: "ok" | "warning" | "error" | "unknown";
  tokens: TokenCheck[];
  pages: PageCheck[];
  webhook: WebhookCheck;
  problems: MetaProblem[];
  /** Subjects the run decided on (see CheckedSubject). */
  checked: CheckedSubject[];
  /** Things the run could not check and why (e.g. no META_APP_ID). */
  notes: string[];
}
