// What a new password must be: between 10 and 1,024 characters. Imports nothing, so the
// configuration can check LEADLINE_ADMIN_PASSWORD with the same rule accounts use.

/** Fewest characters a new password may have. */
export const MIN_PASSWORD_LENGTH = 10;
/** Most characters a new password may have; bounds the work one login can cause. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Why a new password breaks the policy ("Cannot use password: …"), or null when it keeps it. The
 * message never contains the password.
 */
export function passwordPolicyProblem(password: unknown): string | null {
  if (typeof password !== "string") return "Cannot use password: it is not a string";
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    return `Cannot use password: it has ${length} characters and needs at least ${MIN_PASSWORD_LENGTH}`;
  }
  if (length > MAX_PASSWORD_LENGTH) {
    return `Cannot use password: it has ${length} characters and may have at most ${MAX_PASSWORD_LENGTH}`;
  }
  return null;
}
