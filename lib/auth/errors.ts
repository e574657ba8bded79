// Typed errors of the accounts module; their kinds map to an HTTP status in one place (lib/web).

import { DomainError, type ErrorKind } from "../errors.ts";

/** Base class of every error thrown on purpose by `lib/auth`: invalid input unless it says more. */
export class AuthError extends DomainError {
  /** Creates the error with a message that says what went wrong and why. */
  constructor(message: string, kind: ErrorKind = "invalid_input") {
    super(kind, message);
  }
}

/** A new password breaks the password policy (too short or too long). */
export class PasswordPolicyError extends AuthError {}

/** An email, name or role given for a user is not acceptable. */
export class InvalidUserError extends AuthError {}

/** Another user already has this email address. */
export class DuplicateEmailError extends AuthError {
  /** Creates the error; `message` names the address. */
  constructor(message: string) {
    super(message, "conflict");
  }
}

/** No user has the given id. */
export class UserNotFoundError extends AuthError {
  /** Creates the error; `message` names the id. */
  constructor(message: string) {
    super(message, "not_found");
  }
}

/** The change would leave no enabled admin to manage the team. */
export class LastAdminError extends AuthError {
  /** Creates the error; `message` says what would have been left. */
  constructor(message: string) {
    super(message, "conflict");
  }
}
