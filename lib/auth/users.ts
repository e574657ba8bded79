// Team members in KV: create, look up, list, change password or status, remove.

import { commitAtomic } from "../kv_commit.ts";
import { isUlid, ulid } from "../ids.ts";
import { DuplicateEmailError, LastAdminError, UserNotFoundError } from "./errors.ts";
import { userByEmailKey, userKey, usersPrefix } from "./keys.ts";
import { normaliseEmail } from "../email.ts";
import {
  type PublicUser,
  type Role,
  toPublicUser,
  type User,
  validateName,
  validateRole,
  validateUserEmail,
} from "./model.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { endUserSessions } from "./sessions.ts";

const UPDATE_ATTEMPTS = 10;

/** What it takes to add a team member. */
export interface NewUser {
  email: string;
  name: string;
  role: Role;
  /** Plain text; checked against the password policy, then hashed. */
  password: string;
}

/** Options for writes that hash a password or stamp a time. */
export interface UserWriteOptions {
  /** PBKDF2 iterations; default 600,000. Lower values are for tests only. */
  iterations?: number;
  /** Current time in ms since the epoch; for tests. */
  now?: number;
}

/**
 * Adds a user. Throws `InvalidUserError` or `PasswordPolicyError` on bad input
 * and {@linkcode DuplicateEmailError} when the email (in any case) is taken.
 * The write is atomic: the email index key must not exist.
 */
export async function createUser(
  kv: Deno.Kv,
  input: NewUser,
  options: UserWriteOptions = {},
): Promise<PublicUser> {
  const email = validateUserEmail(input.email);
  const name = validateName(input.name);
  const role = validateRole(input.role);
  // Fail fast before spending a PBKDF2 derivation; the atomic check below decides.
  if ((await kv.get(userByEmailKey(email))).value !== null) throw duplicate(email);
  const passwordHash = await hashPassword(input.password, { iterations: options.iterations });
  const now = options.now ?? Date.now();
  const user: User = {
    id: ulid(now),
    email,
    name,
    role,
    passwordHash,
    disabled: false,
    createdAt: new Date(now).toISOString(),
    lastLoginAt: null,
  };
  const result = await commitAtomic(
    kv.atomic()
      .check({ key: userByEmailKey(email), versionstamp: null })
      .check({ key: userKey(user.id), versionstamp: null })
      .set(userKey(user.id), user)
      .set(userByEmailKey(email), user.id),
  );
  if (!result.ok) throw duplicate(email);
  return toPublicUser(user);
}

/**
 * Stores `user` as it is (an import: its id, email and password hash kept; "" for no hash, which
 * no password matches until `user:passwd` sets one), unless a user with that id or email exists:
 * then nothing changes. Resolves with what it did.
 */
export async function restoreUser(kv: Deno.Kv, user: User): Promise<"created" | "kept"> {
  const email = validateUserEmail(user.email);
  const record: User = {
    ...user,
    email,
    name: validateName(user.name),
    role: validateRole(user.role),
  };
  const result = await commitAtomic(
    kv.atomic()
      .check({ key: userByEmailKey(email), versionstamp: null })
      .check({ key: userKey(user.id), versionstamp: null })
      .set(userKey(user.id), record)
      .set(userByEmailKey(email), user.id),
  );
  return result.ok ? "created" : "kept";
}

/**
 * Returns the user with this id, including the password hash, or null. An id that is not a ULID
 * (as every user id is) is nobody, and never reaches KV (whose keys are limited to 2 KiB).
 */
export async function getUser(kv: Deno.Kv, id: string): Promise<User | null> {
  if (!isUlid(String(id))) return null;
  return (await kv.get<User>(userKey(id))).value;
}

/** Returns the user with this email (any case, surrounding spaces ignored), or null. */
export async function getUserByEmail(kv: Deno.Kv, email: string): Promise<User | null> {
  const normalised = normaliseEmail(email);
  if (normalised === "") return null;
  const id = (await kv.get<string>(userByEmailKey(normalised))).value;
  if (id === null) return null;
  const user = await getUser(kv, id);
  return user?.email === normalised ? user : null;
}

/** Lists all users in order of creation, without password hashes. */
export async function listUsers(kv: Deno.Kv): Promise<PublicUser[]> {
  const users: PublicUser[] = [];
  for await (const entry of kv.list<User>({ prefix: usersPrefix() })) {
    users.push(toPublicUser(entry.value));
  }
  return users;
}

/** Counts all users, enabled or not (start-up refuses to run with none outside demo mode). */
export async function countUsers(kv: Deno.Kv): Promise<number> {
  let count = 0;
  for await (const _ of kv.list({ prefix: usersPrefix() })) count++;
  return count;
}

/**
 * Replaces a user's password after checking the policy. Ends all the user's
 * sessions unless `endSessions` is false (e.g. the user changed it themselves and
 * the route starts a fresh session).
 */
export async function setPassword(
  kv: Deno.Kv,
  id: string,
  password: string,
  options: UserWriteOptions & { endSessions?: boolean } = {},
): Promise<void> {
  const passwordHash = await hashPassword(password, { iterations: options.iterations });
  await updateUser(kv, id, (user) => ({ ...user, passwordHash }));
  if (options.endSessions ?? true) await endUserSessions(kv, id);
}

/**
 * Disables or re-enables a user. Disabling ends the user's sessions, and throws
 * {@linkcode LastAdminError} when it would leave no enabled admin (checked in the same commit, so
 * two admins disabling each other at once cannot both succeed).
 */
export async function setDisabled(kv: Deno.Kv, id: string, disabled: boolean): Promise<PublicUser> {
  const user = await updateUser(kv, id, (user) => ({ ...user, disabled }), "disable");
  if (disabled) await endUserSessions(kv, id);
  return toPublicUser(user);
}

/**
 * Makes a user an admin or an agent. Throws {@linkcode LastAdminError} when it would leave no
 * enabled admin (checked in the same commit), `InvalidUserError` for an unknown role and
 * {@linkcode UserNotFoundError} when there is no such user.
 */
export async function setRole(kv: Deno.Kv, id: string, role: Role): Promise<PublicUser> {
  const wanted = validateRole(role);
  const user = await updateUser(kv, id, (user) => ({ ...user, role: wanted }), "make an agent of");
  return toPublicUser(user);
}

/**
 * Removes a user, frees the email and ends the user's sessions. Returns false
 * when there was no such user. Throws {@linkcode LastAdminError} when it would
 * leave no enabled admin (checked in the same commit as the removal).
 */
export async function removeUser(kv: Deno.Kv, id: string): Promise<boolean> {
  if (!isUlid(String(id))) return false;
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const entry = await kv.get<User>(userKey(id));
    if (entry.value === null) return false;
    const emailKey = userByEmailKey(entry.value.email);
    const index = await kv.get<string>(emailKey);
    const operation = kv.atomic().check(entry).check(index).delete(userKey(id));
    if (index.value === id) operation.delete(emailKey);
    if (isEnabledAdmin(entry.value)) {
      operation.check(await anotherEnabledAdmin(kv, entry.value, "remove"));
    }
    if ((await commitAtomic(operation)).ok) {
      await endUserSessions(kv, id);
      return true;
    }
  }
  throw new Error(`Cannot remove user ${id}: it kept changing during ${UPDATE_ATTEMPTS} attempts`);
}

/** Stamps the time of a successful sign-in and returns the updated user. */
export async function recordLogin(
  kv: Deno.Kv,
  id: string,
  now: number = Date.now(),
): Promise<PublicUser> {
  const lastLoginAt = new Date(now).toISOString();
  return toPublicUser(await updateUser(kv, id, (user) => ({ ...user, lastLoginAt })));
}

/** What {@linkcode ensureAdmin} did. */
export interface EnsureAdminResult {
  user: PublicUser;
  action: "created" | "updated" | "unchanged";
}

/**
 * Makes sure the bootstrap admin (from `LEADLINE_ADMIN_EMAIL` and
 * `LEADLINE_ADMIN_PASSWORD`) exists, can sign in with this password, is an admin
 * and is enabled. Creates it, or updates what differs; an unchanged admin keeps
 * their sessions across restarts.
 */
export async function ensureAdmin(
  kv: Deno.Kv,
  email: string,
  password: string,
  name?: string,
  options: UserWriteOptions = {},
): Promise<EnsureAdminResult> {
  const normalised = validateUserEmail(email);
  let existing = await getUserByEmail(kv, normalised);
  if (existing === null) {
    try {
      const user = await createUser(
        kv,
        { email, name: name ?? "Admin", role: "admin", password },
        options,
      );
      return { user, action: "created" };
    } catch (error) {
      // Another process created it between our read and write: update that one.
      if (!(error instanceof DuplicateEmailError)) throw error;
      existing = await getUserByEmail(kv, normalised);
      if (existing === null) throw error;
    }
  }
  const passwordMatches = await verifyPassword(password, existing.passwordHash);
  const wanted = name === undefined ? existing.name : validateName(name);
  if (
    passwordMatches && existing.role === "admin" && !existing.disabled && existing.name === wanted
  ) {
    return { user: toPublicUser(existing), action: "unchanged" };
  }
  if (!passwordMatches) await setPassword(kv, existing.id, password, options);
  const user = await updateUser(kv, existing.id, (user) => ({
    ...user,
    role: "admin",
    disabled: false,
    name: wanted,
  }));
  return { user: toPublicUser(user), action: "updated" };
}

/**
 * Applies `change` to a user in a commit that checks the user is unchanged since read. When the
 * change takes away the user's standing as an enabled admin, the same commit also checks that
 * another enabled admin is unchanged (see {@linkcode anotherEnabledAdmin}); `verb` names the
 * change in the {@linkcode LastAdminError}.
 */
async function updateUser(
  kv: Deno.Kv,
  id: string,
  change: (user: User) => User,
  verb = "change",
): Promise<User> {
  const missing = () => new UserNotFoundError(`Cannot update user ${id}: no such user`);
  if (!isUlid(String(id))) throw missing();
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
    const entry = await kv.get<User>(userKey(id));
    if (entry.value === null) throw missing();
    const updated = change(entry.value);
    const operation = kv.atomic().check(entry).set(userKey(id), updated);
    if (isEnabledAdmin(entry.value) && !isEnabledAdmin(updated)) {
      operation.check(await anotherEnabledAdmin(kv, entry.value, verb));
    }
    if ((await commitAtomic(operation)).ok) return updated;
  }
  throw new Error(`Cannot update user ${id}: it kept changing during ${UPDATE_ATTEMPTS} attempts`);
}

function isEnabledAdmin(user: User): boolean {
  return user.role === "admin" && !user.disabled;
}

/**
 * An enabled admin other than `user`, as a KV entry whose versionstamp the caller checks in the
 * commit that takes `user`'s admin standing away. Anything that would end that admin's standing
 * writes their record, so the commit fails if it raced with one: two admins disabling (removing,
 * demoting) each other at once cannot both succeed, and one enabled admin always remains.
 * Throws {@linkcode LastAdminError} when there is none.
 */
async function anotherEnabledAdmin(
  kv: Deno.Kv,
  user: User,
  verb: string,
): Promise<Deno.KvEntry<User>> {
  for await (const entry of kv.list<User>({ prefix: usersPrefix() })) {
    if (entry.value.id !== user.id && isEnabledAdmin(entry.value)) return entry;
  }
  throw new LastAdminError(`Cannot ${verb} ${user.email}: it is the only enabled admin`);
}

function duplicate(email: string): DuplicateEmailError {
  return new DuplicateEmailError(`Cannot create user: ${email} already has an account`);
}
