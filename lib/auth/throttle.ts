// Login throttling: limits failed sign-ins per account (email) and per client address.

import { normaliseEmail } from "../email.ts";
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
  /**
   * Call before checking the password: counts the attempt as a failure in advance, for the
   * account and the address, each in one atomic commit, and refuses it (answer 429) when either
   * is at its limit. However many attempts arrive at once, at most the limit are let through to
   * a password check per window. A refused attempt counts nothing.
   */
  admit(attempt: LoginAttempt, now?: number): Promise<ThrottleDecision>;
  /**
   * Call after an admitted attempt succeeded: clears the account's failures and takes back the
   * count `admit` added for the address (a success is not a failure).
   */
  recordAdmittedSuccess(attempt: LoginAttempt, now?: number): Promise<void>;
  /** Reports whether an attempt would be admitted, counting nothing. */
  check(attempt: LoginAttempt, now?: number): Promise<ThrottleDecision>;
  /** Counts a failure that was not admitted first; returns the decision for the next attempt. */
  recordFailure(attempt: LoginAttempt, now?: number): Promise<ThrottleDecision>;
  /** Clears the account's failures (the address keeps its count). */
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
    async admit(attempt, now = Date.now()) {
      const account = accountOf(attempt);
      const address = addressOf(attempt);
      const byAccount = await accounts.take(account, now);
      if (!byAccount.allowed) {
        const byAddress = await addresses.check(address, now);
        return decide(byAccount.retryAfterSeconds, byAddress.retryAfterSeconds);
      }
      const byAddress = await addresses.take(address, now);
      if (!byAddress.allowed) {
        // Refused, so not a failure of this account either.
        await accounts.release(account, now);
        return decide(0, byAddress.retryAfterSeconds);
      }
      return { allowed: true };
    },

    async recordAdmittedSuccess(attempt, now = Date.now()) {
      await accounts.reset(accountOf(attempt));
      await addresses.release(addressOf(attempt), now);
    },

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
