// Sign-in sessions in KV: random ids, stored only as SHA-256 digests, with a sliding expiry.

import { commitAtomic } from "../kv_commit.ts";
import { randomToken, sha256Base64Url } from "../crypto.ts";
import {
  sessionByUserKey,
  sessionKey,
  sessionsByUserPrefix,
  sessionsRevokedKey,
  userKey,
} from "./keys.ts";
import { type PublicUser, toPublicUser, type User } from "./model.ts";

/** How long a session lives without use: 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

// A session is extended only once this share of its lifetime has passed since the
// last extension, so a busy dashboard does not cost one KV write per request.
const RENEW_AFTER_SHARE = 0.1;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const DELETE_BATCH = 100;
// Deno KV's getMany reads at most 10 keys per call.
const GET_MANY_MAX = 10;
const ONE = new Deno.KvU64(1n);

/** A session as stored under `["sessions", sha256(id)]`. Times are ms since the epoch. */
export interface Session {
  userId: string;
  createdAt: number;
  /** After this moment the session is over, whatever KV's own expiry does. */
  expiresAt: number;
  /** Lifetime granted at creation and at each extension. */
  ttlMs: number;
}

/** Options for {@linkcode createSession}. */
export interface CreateSessionOptions {
  /** Lifetime without use; default {@linkcode DEFAULT_SESSION_TTL_MS}. */
  ttlMs?: number;
  /** Current time in ms since the epoch; for tests. */
  now?: number;
}

/** A new session: `id` goes into the cookie and nowhere else. */
export interface NewSession {
  /** 32 random bytes as base64url (43 characters). Secret: never log it. */
  id: string;
  /** ms since the epoch; may move later as the session is used. */
  expiresAt: number;
}

/** What {@linkcode getSession} finds for a live session. */
export interface SessionLookup {
  /** The signed-in user, without the password hash. */
  user: PublicUser;
  session: Session;
  /** True when this lookup extended the session (a cookie with `Max-Age` should be sent again). */
  renewed: boolean;
}

/**
 * Starts a session for a user and returns its id (for the cookie) and expiry.
 * KV holds only the id's SHA-256 digest, under `["sessions", hash]` and
 * `["sessions_by_user", userId, hash]`, both with a KV expiry.
 */
export async function createSession(
  kv: Deno.Kv,
  user: Pick<User, "id">,
  options: CreateSessionOptions = {},
): Promise<NewSession> {
  const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1000) {
    throw new RangeError(
      `Cannot create session: ttlMs must be an integer of at least 1000, got ${ttlMs}`,
    );
  }
  const now = options.now ?? Date.now();
  const id = randomToken(32);
  const idHash = await sha256Base64Url(id);
  const session: Session = { userId: user.id, createdAt: now, expiresAt: now + ttlMs, ttlMs };
  const result = await commitAtomic(
    kv.atomic()
      .check({ key: sessionKey(idHash), versionstamp: null })
      .set(sessionKey(idHash), session, { expireIn: ttlMs })
      .set(sessionByUserKey(user.id, idHash), session.expiresAt, { expireIn: ttlMs }),
  );
  if (!result.ok) {
    throw new Error("Cannot create session: the random id collided, which should never happen");
  }
  return { id, expiresAt: session.expiresAt };
}

/**
 * Looks up the session for an id from a cookie. Returns null when the id is
 * malformed, unknown or expired, or when its user is disabled or removed.
 * Extends a live session once a tenth of its lifetime has passed since the last
 * extension.
 */
export async function getSession(
  kv: Deno.Kv,
  id: string | undefined | null,
  now: number = Date.now(),
): Promise<SessionLookup | null> {
  if (typeof id !== "string" || !SESSION_ID.test(id)) return null;
  const idHash = await sha256Base64Url(id);
  const entry = await kv.get<Session>(sessionKey(idHash));
  if (entry.value === null) return null;
  const session = entry.value;
  if (now >= session.expiresAt) {
    await deleteSession(kv, session.userId, idHash);
    return null;
  }
  const user = await kv.get<User>(userKey(session.userId));
  if (user.value === null) {
    await deleteSession(kv, session.userId, idHash);
    return null;
  }
  if (user.value.disabled) return null;

  const lastRenewedAt = session.expiresAt - session.ttlMs;
  if (now - lastRenewedAt <= session.ttlMs * RENEW_AFTER_SHARE) {
    return { user: toPublicUser(user.value), session, renewed: false };
  }
  const renewed: Session = { ...session, expiresAt: now + session.ttlMs };
  const result = await commitAtomic(
    kv.atomic()
      .check(entry)
      .set(sessionKey(idHash), renewed, { expireIn: session.ttlMs })
      .set(sessionByUserKey(session.userId, idHash), renewed.expiresAt, {
        expireIn: session.ttlMs,
      }),
  );
  // A failed check means a concurrent request renewed or ended it; this request still
  // saw a live session, and the next one will see the outcome.
  return result.ok
    ? { user: toPublicUser(user.value), session: renewed, renewed: true }
    : { user: toPublicUser(user.value), session, renewed: false };
}

/** Ends one session (sign-out). Unknown or malformed ids are ignored. */
export async function endSession(kv: Deno.Kv, id: string | undefined | null): Promise<void> {
  if (typeof id !== "string" || !SESSION_ID.test(id)) return;
  const idHash = await sha256Base64Url(id);
  const entry = await kv.get<Session>(sessionKey(idHash));
  if (entry.value === null) return;
  await deleteSession(kv, entry.value.userId, idHash);
}

/** Ends every session of a user (sign-out everywhere, disable, removal). Returns how many. */
export async function endUserSessions(kv: Deno.Kv, userId: string): Promise<number> {
  let ended = 0;
  let batch = kv.atomic();
  let inBatch = 0;
  for await (const entry of kv.list({ prefix: sessionsByUserPrefix(userId) })) {
    const idHash = entry.key[entry.key.length - 1] as string;
    batch.delete(sessionKey(idHash)).delete(entry.key);
    inBatch++;
    ended++;
    if (inBatch === DELETE_BATCH) {
      await commitAtomic(batch.sum(sessionsRevokedKey(), ONE.value));
      batch = kv.atomic();
      inBatch = 0;
    }
  }
  if (inBatch > 0) await commitAtomic(batch.sum(sessionsRevokedKey(), ONE.value));
  return ended;
}

/**
 * The digest a session is stored under, for a session id from a cookie; null when malformed.
 * Long-lived work done for a session (an event stream) keeps this, never the id itself.
 */
export async function sessionIdHash(id: string | undefined | null): Promise<string | null> {
  if (typeof id !== "string" || !SESSION_ID.test(id)) return null;
  return await sha256Base64Url(id);
}

/**
 * Of these session digests, the ones whose session is over: signed out, expired, or its user
 * disabled or removed. Reads only: unlike {@linkcode getSession} it never extends a session, so
 * an open event stream does not keep a sign-in alive by itself.
 */
export async function findEndedSessions(
  kv: Deno.Kv,
  idHashes: string[],
  now: number = Date.now(),
): Promise<Set<string>> {
  const ended = new Set<string>();
  const byUser = new Map<string, string[]>();
  for (let i = 0; i < idHashes.length; i += GET_MANY_MAX) {
    const chunk = idHashes.slice(i, i + GET_MANY_MAX);
    const entries = await kv.getMany<Session[]>(chunk.map((idHash) => sessionKey(idHash)));
    entries.forEach((entry, at) => {
      const session = entry.value;
      if (session === null || now >= session.expiresAt) ended.add(chunk[at]);
      else if (byUser.has(session.userId)) byUser.get(session.userId)!.push(chunk[at]);
      else byUser.set(session.userId, [chunk[at]]);
    });
  }
  const userIds = [...byUser.keys()];
  for (let i = 0; i < userIds.length; i += GET_MANY_MAX) {
    const chunk = userIds.slice(i, i + GET_MANY_MAX);
    const users = await kv.getMany<User[]>(chunk.map((id) => userKey(id)));
    users.forEach((user, at) => {
      if (user.value === null || user.value.disabled) {
        for (const idHash of byUser.get(chunk[at])!) ended.add(idHash);
      }
    });
  }
  return ended;
}

async function deleteSession(kv: Deno.Kv, userId: string, idHash: string): Promise<void> {
  await commitAtomic(
    kv.atomic()
      .delete(sessionKey(idHash))
      .delete(sessionByUserKey(userId, idHash))
      .sum(sessionsRevokedKey(), ONE.value),
  );
}
