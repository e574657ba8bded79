// Typed errors of the accounts module, so one place can map them to an HTTP status.

/** Base class of every error thrown on purpose by `lib/auth`. */
export class AuthError extends Error {
  /** Creates the error with a message that says what went wrong and why. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A new password breaks the password policy (too short or too long). Maps to 400. */
export class PasswordPolicyError extends AuthError {}

/** An email, name or role given for a user is not acceptable. Maps to 400. */
export class InvalidUserError extends AuthError {}

/** Another user already has this email address. Maps to 409. */
export class DuplicateEmailError extends AuthError {}

/** No user has the given id. Maps to 404. */
export class UserNotFoundError extends AuthError {}

/** The change would leave no enabled admin to manage the team. Maps to 409. */
export class LastAdminError extends AuthError {}
