// One sign-in attempt from start to finish: throttle, check the password in equal time, start a session.

import type { PublicUser, User } from "./model.ts";
import { DEFAULT_ITERATIONS, dummyVerify, storedIterations, verifyPassword } from "./password.ts";
import { createSession, type NewSession } from "./sessions.ts";
import { createLoginThrottle, type LoginThrottle } from "./throttle.ts";
import { getUserByEmail, recordLogin, setPassword } from "./users.ts";

/** The form fields of a sign-in, plus the client's address (for throttling). */
export interface LogInAttempt {
  email: string;
  password: string;
  /** Client IP as the server sees it (or as a trusted proxy reports it). */
  address: string;
}

/** Options for {@linkcode logIn}. */
export interface LogInOptions {
  /** Throttle to use; default {@linkcode createLoginThrottle}`(kv)` with the limits. */
  throttle?: LoginThrottle;
  /** PBKDF2 iterations of current hashes (for the equal-time dummy check and upgrades); default 600,000. */
  iterations?: number;
  /** Session lifetime; default 12 hours. */
  ttlMs?: number;
  /** Current time in ms since the epoch; for tests. */
  now?: number;
}

/**
 * The outcome of a sign-in. Unknown email, wrong password and disabled account
 * all give `invalid_credentials`, so the page can show one message for all.
 */
export type LogInResult =
  | { ok: true; user: PublicUser; session: NewSession }
  | { ok: false; reason: "invalid_credentials" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

/**
 * Runs one sign-in attempt: counts it against the throttle before anything else and refuses it
 * when over the limit (answer 429 with `Retry-After`), otherwise checks the password, spending the
 * same PBKDF2 work whether or not the account exists, and starts a session or leaves the attempt
 * counted as a failure. Counting first means concurrent guesses cannot all pass one check before
 * any is recorded. On success, set the cookie to `session.id` and redirect.
 */
export async function logIn(
  kv: Deno.Kv,
  attempt: LogInAttempt,
  options: LogInOptions = {},
): Promise<LogInResult> {
  const now = options.now ?? Date.now();
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const throttle = options.throttle ?? createLoginThrottle(kv);
  const email = String(attempt.email ?? "");
  const password = String(attempt.password ?? "");

  const decision = await throttle.admit(attempt, now);
  if (!decision.allowed) {
    return { ok: false, reason: "throttled", retryAfterSeconds: decision.retryAfterSeconds };
  }

  const user = email.length <= 254 ? await getUserByEmail(kv, email) : null;
  const passwordMatches = user === null
    ? await dummyVerify(password, { iterations })
    : await verifyPassword(password, user.passwordHash);
  if (user === null || !passwordMatches || user.disabled) {
    // `admit` already counted it: the failure that reaches a limit is still answered as a plain
    // failure, and the next attempt is refused.
    return { ok: false, reason: "invalid_credentials" };
  }

  await throttle.recordAdmittedSuccess(attempt, now);
  await upgradeHash(kv, user, password, iterations);
  const signedIn = await recordLogin(kv, user.id, now);
  const session = await createSession(kv, user, { ttlMs: options.ttlMs, now });
  return { ok: true, user: signedIn, session };
}

// Rehashes a password stored with fewer iterations than today's while we hold it in the clear.
async function upgradeHash(kv: Deno.Kv, user: User, password: string, iterations: number) {
  const current = storedIterations(user.passwordHash);
  if (current === null || current >= iterations) return;
  try {
    await setPassword(kv, user.id, password, { iterations, endSessions: false });
  } catch {
    // An old password outside today's policy keeps its old hash; sign-in still succeeds.
  }
}
