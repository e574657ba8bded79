// Email addresses, one rule for all of them: trimmed and lower-cased, then checked for the shape
// `local@domain`. A lead's address must reach the internet (a dotted domain, `name@example.com`);
// a team member's may be on an internal host (`admin@intranet`).

/** An email address checked: the normalised form, or why it is not one. */
export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

/** The longest address (RFC 5321's limit on a path). */
export const MAX_EMAIL_LENGTH = 254;

/** Trims and lower-cases an address: the form every address is stored, looked up and counted by. */
export function normaliseEmail(raw: string): string {
  return String(raw).trim().toLowerCase();
}

/** Options of {@linkcode checkEmail}. */
export interface EmailRule {
  /** Require a domain of two labels or more (`example.com`), as an address on the internet has. */
  dottedDomain: boolean;
}

// No spaces, exactly one @, a local part, and a domain of non-empty dot-separated labels.
const ANY_DOMAIN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*$/;
const DOTTED_DOMAIN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Normalises `raw` and checks it is an address under `rule`; the reason reads after "The email". */
export function checkEmail(raw: string, rule: EmailRule): EmailCheck {
  const email = normaliseEmail(raw);
  if (email === "") return { ok: false, reason: "is empty" };
  if (email.length > MAX_EMAIL_LENGTH) {
    return { ok: false, reason: `is longer than ${MAX_EMAIL_LENGTH} characters` };
  }
  if (!(rule.dottedDomain ? DOTTED_DOMAIN : ANY_DOMAIN).test(email)) {
    return { ok: false, reason: "does not look like name@example.com" };
  }
  return { ok: true, email };
}
