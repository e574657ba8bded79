// Maps the typed errors of lib/auth to HTTP statuses, in one place.

import {
  AuthError,
  DuplicateEmailError,
  InvalidUserError,
  LastAdminError,
  PasswordPolicyError,
  UserNotFoundError,
} from "../auth/errors.ts";
import { HttpError } from "../web/http_error.ts";

/** The HTTP status for an error thrown by lib/auth, or null when it is not one of them. */
export function authErrorStatus(err: unknown): number | null {
  if (err instanceof PasswordPolicyError || err instanceof InvalidUserError) return 400;
  if (err instanceof DuplicateEmailError || err instanceof LastAdminError) return 409;
  if (err instanceof UserNotFoundError) return 404;
  if (err instanceof AuthError) return 400;
  return null;
}

/** Turns a lib/auth error into an {@linkcode HttpError} (its message is safe to show); rethrows others. */
export function toHttpError(err: unknown): HttpError {
  const status = authErrorStatus(err);
  if (status === null) throw err;
  return new HttpError(status, (err as Error).message);
}
