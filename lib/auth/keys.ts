// Every KV key lib/auth reads or writes, built in one place.

/** `["users", id]` -> {@linkcode User} */
export function userKey(id: string): Deno.KvKey {
  return ["users", id];
}

/** `["users"]`, the prefix listing every user in order of creation. */
export function usersPrefix(): Deno.KvKey {
  return ["users"];
}

/** `["users_by_email", email]` -> user id; the key that makes emails unique. */
export function userByEmailKey(email: string): Deno.KvKey {
  return ["users_by_email", email];
}

/** `["sessions", sha256(id)]` -> session record; the raw session id is never stored. */
export function sessionKey(idHash: string): Deno.KvKey {
  return ["sessions", idHash];
}

/** `["sessions_by_user", userId, sha256(id)]`, so all of a user's sessions can be ended. */
export function sessionByUserKey(userId: string, idHash: string): Deno.KvKey {
  return ["sessions_by_user", userId, idHash];
}

/** `["sessions_by_user", userId]`, the prefix listing one user's sessions. */
export function sessionsByUserPrefix(userId: string): Deno.KvKey {
  return ["sessions_by_user", userId];
}

/**
 * `["sessions_revoked"]` -> a counter bumped in the same commit as every session that ends early
 * (sign-out, disable, removal, new password), so event streams on every instance can watch it.
 */
export function sessionsRevokedKey(): Deno.KvKey {
  return ["sessions_revoked"];
}

/** `["rate_limits", prefix, sha256(subject)]` -> counter of one rate limiter. */
export function rateLimitKey(prefix: string, subjectHash: string): Deno.KvKey {
  return ["rate_limits", prefix, subjectHash];
}
