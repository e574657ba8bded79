// The shapes of users and sessions, and the normalisation rules every part of lib/auth shares.

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

/** Trims and lower-cases an email so lookups, uniqueness and throttling ignore case. */
export function normaliseEmail(email: string): string {
  return String(email).trim().toLowerCase();
}

/**
 * Normalises an email and throws {@linkcode InvalidUserError} unless it looks like
 * `local@domain` with no spaces and at most 254 characters.
 */
export function validateEmail(email: string): string {
  const normalised = normaliseEmail(email);
  if (normalised.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(normalised)) {
    throw new InvalidUserError(
      "Cannot use email: it must look like name@example.com, without spaces, in at most 254 characters",
    );
  }
  return normalised;
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
