// Entry point of lib/auth: accounts, passwords, sessions, sign-in and rate limits, free of HTTP.

export {
  AuthError,
  DuplicateEmailError,
  InvalidUserError,
  LastAdminError,
  PasswordPolicyError,
  UserNotFoundError,
} from "./errors.ts";
export {
  normaliseEmail,
  type PublicUser,
  type Role,
  ROLES,
  toPublicUser,
  type User,
  validateEmail,
  validateName,
  validateRole,
} from "./model.ts";
export {
  checkPasswordPolicy,
  DEFAULT_ITERATIONS,
  dummyVerify,
  generatePassword,
  type HashOptions,
  hashPassword,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  storedIterations,
  verifyPassword,
} from "./password.ts";
export {
  countUsers,
  createUser,
  ensureAdmin,
  type EnsureAdminResult,
  getUser,
  getUserByEmail,
  listUsers,
  type NewUser,
  recordLogin,
  removeUser,
  setDisabled,
  setPassword,
  setRole,
  type UserWriteOptions,
} from "./users.ts";
export {
  createSession,
  type CreateSessionOptions,
  DEFAULT_SESSION_TTL_MS,
  endSession,
  endUserSessions,
  getSession,
  type NewSession,
  type Session,
  type SessionLookup,
} from "./sessions.ts";
export {
  createRateLimiter,
  type RateLimiter,
  type RateLimiterOptions,
  type RateLimitStatus,
} from "./rate_limiter.ts";
export {
  createLoginThrottle,
  type LoginAttempt,
  type LoginThrottle,
  type LoginThrottleOptions,
  type ThrottleDecision,
} from "./throttle.ts";
export { logIn, type LogInAttempt, type LogInOptions, type LogInResult } from "./login.ts";
