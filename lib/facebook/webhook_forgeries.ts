// Per-address limit on webhook calls with a bad signature, so a flood of forgeries gets 429.

import { createRateLimiter, type RateLimiter } from "../auth/rate_limiter.ts";

/** Options for {@linkcode createWebhookForgeryLimiter}. */
export interface WebhookForgeryLimitOptions {
  /** Bad signatures allowed per address within the window; default 20. */
  limit?: number;
  /** Window in ms; default 10 minutes. */
  windowMs?: number;
}

/**
 * A limiter of failed webhook signatures per client address. In the webhook route: call
 * `check(address)` first and answer 429 with `Retry-After: retryAfterSeconds` when not
 * allowed; call `hit(address)` after each bad or missing signature. Meta signs every real
 * delivery, so its own addresses never count.
 */
export function createWebhookForgeryLimiter(
  kv: Deno.Kv,
  options: WebhookForgeryLimitOptions = {},
): RateLimiter {
  return createRateLimiter(kv, {
    prefix: "webhook_bad_signature",
    limit: options.limit ?? 20,
    windowMs: options.windowMs ?? 10 * 60 * 1000,
  });
}
