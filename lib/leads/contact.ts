// Validates and normalises a phone number (E.164 with a default country) and an email address.

import { checkEmail, type EmailCheck } from "../email.ts";
import { callingCodeOf } from "../format/phone.ts";

/** Countries where the leading 0 of a national number is part of it (no trunk prefix). */
const KEEPS_LEADING_ZERO = new Set(["IT"]);

/** A phone number checked: the normalised form, or why it is not a phone number. */
export type PhoneCheck = { ok: true; phone: string } | { ok: false; reason: string };

/**
 * Checks and normalises a phone number. International numbers ("+44 20 7946 0958", "0044…")
 * become E.164 ("+442079460958"). A national number becomes E.164 with `defaultCountry`
 * ("(415) 555-2671" with "US" -> "+14155552671"; "020 7946 0958" with "GB" drops the trunk 0);
 * without a default country it is kept as its digits. Separators allowed: spaces, - . / ( ).
 */
export function normalisePhone(raw: string, defaultCountry: string | null = null): PhoneCheck {
  const text = raw.trim();
  if (text === "") return { ok: false, reason: "is empty" };
  if (!/^\+?[\d\s\-./()]+$/.test(text)) {
    return { ok: false, reason: "may hold only digits, spaces, + - . / ( )" };
  }
  let digits = text.replace(/\D/g, "");
  let international = text.startsWith("+");
  if (!international && digits.startsWith("00")) {
    digits = digits.slice(2);
    international = true;
  } else if (
    !international && defaultCountry && callingCodeOf(defaultCountry) === "1" &&
    digits.startsWith("011")
  ) {
    digits = digits.slice(3);
    international = true;
  }
  if (international) {
    if (digits.startsWith("0")) return { ok: false, reason: "has no country code after the +" };
    if (digits.length < 8 || digits.length > 15) {
      return { ok: false, reason: "must have 8 to 15 digits with its country code" };
    }
    return { ok: true, phone: `+${digits}` };
  }
  if (!defaultCountry) {
    if (digits.length < 7 || digits.length > 15) {
      return { ok: false, reason: "must have 7 to 15 digits" };
    }
    return { ok: true, phone: digits };
  }
  const code = callingCodeOf(defaultCountry);
  if (code === null) {
    throw new RangeError(`Cannot normalise phone: unknown country ${defaultCountry}`);
  }
  if (code === "1") {
    if (digits.length === 11 && digits.startsWith("1")) digits = digits.slice(1);
    if (digits.length !== 10) {
      return { ok: false, reason: "must have 10 digits (area code and number)" };
    }
    if (!/^[2-9]\d{2}[2-9]/.test(digits)) {
      return { ok: false, reason: "is not a valid North American number" };
    }
    return { ok: true, phone: `+1${digits}` };
  }
  if (!KEEPS_LEADING_ZERO.has(defaultCountry) && digits.startsWith("0")) digits = digits.slice(1);
  if (digits.length < 4 || code.length + digits.length < 8 || code.length + digits.length > 15) {
    return { ok: false, reason: "does not have the right number of digits" };
  }
  return { ok: true, phone: `+${code}${digits}` };
}

/**
 * A lead's email address checked and normalised (lib/email.ts): it must reach the internet, so
 * its domain has a dot (`name@example.com`).
 */
export function checkLeadEmail(raw: string): EmailCheck {
  return checkEmail(raw, { dottedDomain: true });
}
