// Validates and normalises a phone number (E.164 with a default country) and an email address.

/** Country calling codes by ISO 3166 alpha-2 code, for the countries a default may name. */
const CALLING_CODES: Readonly<Record<string, string>> = {
  US: "1",
  CA: "1",
  GB: "44",
  IE: "353",
  DE: "49",
  FR: "33",
  ES: "34",
  IT: "39",
  PT: "351",
  NL: "31",
  BE: "32",
  LU: "352",
  AT: "43",
  CH: "41",
  DK: "45",
  SE: "46",
  NO: "47",
  FI: "358",
  PL: "48",
  CZ: "420",
  GR: "30",
  AU: "61",
  NZ: "64",
  IN: "91",
  SG: "65",
  JP: "81",
  AE: "971",
  ZA: "27",
  BR: "55",
  MX: "52",
};

/** Countries where the leading 0 of a national number is part of it (no trunk prefix). */
const KEEPS_LEADING_ZERO = new Set(["IT"]);

/** Every country code `normalisePhone` accepts as a default. */
export const PHONE_COUNTRIES: readonly string[] = Object.keys(CALLING_CODES);

/** The calling code of `country` without the + ("44" for "GB"), or null for one we do not know. */
export function callingCodeOf(country: string): string | null {
  return Object.hasOwn(CALLING_CODES, country) ? CALLING_CODES[country] : null;
}

/** True when `country` (e.g. "US") is one `normalisePhone` knows. */
export function isPhoneCountry(country: string): boolean {
  return Object.hasOwn(CALLING_CODES, country);
}

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
    !international && defaultCountry && CALLING_CODES[defaultCountry] === "1" &&
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
  const code = CALLING_CODES[defaultCountry];
  if (code === undefined) {
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

/** An email address checked: the normalised form, or why it is not one. */
export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };

/** Checks an email address and normalises it to lower case without surrounding spaces. */
export function normaliseEmail(raw: string): EmailCheck {
  const email = raw.trim().toLowerCase();
  if (email === "") return { ok: false, reason: "is empty" };
  if (email.length > 254) return { ok: false, reason: "is longer than 254 characters" };
  if (!/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(email)) {
    return { ok: false, reason: "does not look like name@example.com" };
  }
  return { ok: true, email };
}
