// Login throttling: limits failed sign-ins per account (email) and per client address.

import { normaliseEmail } from "./model.ts";
import { createRateLimiter } from "./rate_limiter.ts";

/** Options for {@linkcode createLoginThrottle}; the defaults follow the issue. */
export interface LoginThrottleOptions {
  /** Failures per email within the window before refusing; default 5. */
  accountLimit?: number;
  /** Failures per client address within the window before refusing; default 20. */
  addressLimit?: number;
  /** Window in ms; default 15 minutes. */
  windowMs?: number;
}

/** Who is trying to sign in: the email as typed and the client's address. */
export interface LoginAttempt {
  email: string;
  address: string;
}

/** Whether a sign-in attempt may go ahead; when not, for how long to wait. */
export type ThrottleDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number };

/** Throttle bound to one KV; every method takes an optional clock. */
export interface LoginThrottle {
  /** Call before checking the password; refuse the attempt with 429 when not allowed. */
  check(attempt: LoginAttempt, now?: number): Promise<ThrottleDecision>;
  /** Call after a failed attempt; returns the decision for the next one. */
  recordFailure(attempt: LoginAttempt, now?: number): Promise<ThrottleDecision>;
  /** Call after a success: clears the account's failures (the address keeps its count). */
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

/**
 * Creates the login throttle. The account counter is keyed by the normalised
 * email whether or not such a user exists, so the answer never reveals which
 * accounts exist.
 */
export function createLoginThrottle(
  kv: Deno.Kv,
  options: LoginThrottleOptions = {},
): LoginThrottle {
  const windowMs = options.windowMs ?? 15 * 60 * 1000;
  const accounts = createRateLimiter(kv, {
    prefix: "login_account",
    limit: options.accountLimit ?? 5,
    windowMs,
  });
  const addresses = createRateLimiter(kv, {
    prefix: "login_address",
    limit: options.addressLimit ?? 20,
    windowMs,
  });
  const accountOf = (attempt: LoginAttempt) => normaliseEmail(attempt.email);
  const addressOf = (attempt: LoginAttempt) => String(attempt.address ?? "").trim().toLowerCase();

  return {
    async check(attempt, now = Date.now()) {
      const [account, address] = await Promise.all([
        accounts.check(accountOf(attempt), now),
        addresses.check(addressOf(attempt), now),
      ]);
      return decide(account.retryAfterSeconds, address.retryAfterSeconds);
    },

    async recordFailure(attempt, now = Date.now()) {
      const account = await accounts.hit(accountOf(attempt), now);
      const address = await addresses.hit(addressOf(attempt), now);
      return decide(account.retryAfterSeconds, address.retryAfterSeconds);
    },

    async recordSuccess(attempt) {
      await accounts.reset(accountOf(attempt));
    },
  };
}

function decide(accountWait: number, addressWait: number): ThrottleDecision {
  const retryAfterSeconds = Math.max(accountWait, addressWait);
  return retryAfterSeconds > 0 ? { allowed: false, retryAfterSeconds } : { allowed: true };
}
