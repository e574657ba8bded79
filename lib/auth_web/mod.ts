// Entry point of lib/auth_web: the HTTP side of accounts (middleware, cookies, start-up, limits).

export { authorizeRoute, isApiPath } from "./access.ts";
export { ACCOUNT_BODY_LIMIT, readForm, readJsonObject, readLimitedText } from "./body.ts";
export {
  bootstrapAccounts,
  type BootstrapConfig,
  BootstrapError,
  type BootstrapOutcome,
  DEMO_ADMIN_EMAIL,
} from "./bootstrap.ts";
export { passwordIterations, requestAddress, requestIsHttps } from "./context.ts";
export {
  clearedSessionCookie,
  readSessionCookie,
  SESSION_COOKIE,
  sessionCookie,
} from "./cookies.ts";
export {
  checkOrigin,
  CSRF_EXEMPT_PATHS,
  type CsrfOptions,
  csrfProtection,
  type OriginVerdict,
  STATE_CHANGING_METHODS,
} from "./csrf.ts";
export { safeNextPath } from "./next_path.ts";
export { clientAddress, isHttps, ownOrigin } from "./request_info.ts";
export {
  CONTENT_SECURITY_POLICY,
  STRICT_TRANSPORT_SECURITY,
  withSecurityHeaders,
} from "./security_headers.ts";
export {
  claimServerLock,
  findRunningServer,
  HEARTBEAT_EVERY_MS,
  HEARTBEAT_STALE_MS,
  type HeartbeatHandle,
  type ServerHeartbeat,
  serverHeartbeatKey,
  type ServerLockOptions,
  type ServerLockResult,
  startHeartbeat,
  writeHeartbeat,
} from "./server_lock.ts";
export { sessionAuth, type SessionAuthOptions } from "./session_middleware.ts";
export { createWebhookForgeryLimiter, type WebhookForgeryLimitOptions } from "./webhook_limit.ts";
