// The countries a phone number may default to, with their calling codes: the server normalises
// numbers with them, the Add lead form offers them.

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

/** Every country a default phone country may name (`normalisePhone` in lib/leads/contact.ts). */
export const PHONE_COUNTRIES: readonly string[] = Object.keys(CALLING_CODES);

/** The calling code of `country` without the + ("44" for "GB"), or null for one we do not know. */
export function callingCodeOf(country: string): string | null {
  return Object.hasOwn(CALLING_CODES, country) ? CALLING_CODES[country] : null;
}

/** True when `country` (e.g. "US") is one whose calling code we know. */
export function isPhoneCountry(country: string): boolean {
  return Object.hasOwn(CALLING_CODES, country);
}
