// The shapes of users and sessions, and the normalisation rules every part of lib/auth shares.

import { checkEmail, MAX_EMAIL_LENGTH } from "../email.ts";
import { InvalidUserError } from "./errors.ts";

/** What a user may do: admins also manage the team and settings. */
export type Role = "admin" | "agent";

/** The roles that exist, for validating input. */
export const ROLES: readonly Role[] = ["admin", "agent"];

/** A user as stored in KV under `["users", id]`. Holds the password hash: never send it out. */
export interface User {
  /** ULID, sortable by creation time. */
  id: string;
  /** Normalised (trimmed, lower case), unique. */
  email: string;
  /** Display name. */
  name: string;
  role: Role;
  /** Made by `hashPassword`. */
  passwordHash: string;
  /** A disabled user cannot sign in and has no sessions. */
  disabled: boolean;
  /** ISO 8601 time of creation. */
  createdAt: string;
  /** ISO 8601 time of the last successful sign-in, or null before the first. */
  lastLoginAt: string | null;
}

/** A user without the password hash: safe for pages, JSON and request state. */
export type PublicUser = Omit<User, "passwordHash">;

/** Returns a copy of the user without the password hash. */
export function toPublicUser(user: User): PublicUser {
  const { passwordHash: _passwordHash, ...rest } = user;
  return rest;
}

/** Why a team member's email is refused: the rule in one sentence. */
export const USER_EMAIL_RULE = "Cannot use email: it must look like name@example.com, without " +
  `spaces, in at most ${MAX_EMAIL_LENGTH} characters`;

/**
 * A team member's email, normalised (lib/email.ts), or {@linkcode InvalidUserError}: `local@domain`,
 * where the domain may be an internal host without a dot (`admin@intranet`).
 */
export function validateUserEmail(email: string): string {
  const checked = checkEmail(email, { dottedDomain: false });
  if (!checked.ok) throw new InvalidUserError(USER_EMAIL_RULE);
  return checked.email;
}

/** Trims a display name and throws {@linkcode InvalidUserError} unless it has 1 to 100 characters. */
export function validateName(name: string): string {
  const trimmed = String(name ?? "").trim();
  const length = [...trimmed].length;
  if (length < 1 || length > 100) {
    throw new InvalidUserError("Cannot use name: it must have between 1 and 100 characters");
  }
  return trimmed;
}

/** Throws {@linkcode InvalidUserError} unless the role is `admin` or `agent`. */
export function validateRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new InvalidUserError(`Cannot use role "${role}": it must be one of ${ROLES.join(", ")}`);
  }
  return role as Role;
}
