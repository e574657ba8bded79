// Times as people read them, the same on the server's pages and in the islands: a time in the
// reader's zone, the exact time, and the cookie that tells the server that zone. Durations and
// "5 min ago" are in lib/format/durations.ts.

/** The cookie that holds the browser's IANA time zone, e.g. `Europe/Berlin`. Not a secret. */
export const TIME_ZONE_COOKIE = "leadline_tz";

/** How long the browser keeps the zone cookie: a year, refreshed on every dashboard visit. */
export const TIME_ZONE_COOKIE_MAX_AGE = 365 * 24 * 60 * 60;

/** Where and how to show times: an IANA zone and a BCP 47 locale. */
export interface Clock {
  timeZone: string;
  locale: string;
}

/** UTC in a neutral English format: what a page shows before it knows the reader's zone. */
export const UTC_CLOCK: Clock = { timeZone: "UTC", locale: "en-GB" };

/** The exact time for a tooltip: local time in the browser, UTC on the server (no locale there). */
export function exactTime(iso: string, local: boolean): string {
  const date = new Date(iso);
  if (local) return date.toLocaleString();
  return iso.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

/**
 * True when `timeZone` is an IANA zone name this runtime can format (e.g. "Europe/Berlin",
 * "Asia/Kolkata", "UTC"): letters, digits and `_ + - /`, at most 64 characters.
 */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== "string" || timeZone.length === 0 || timeZone.length > 64) return false;
  if (!/^[A-Za-z0-9_+\-/]+$/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The `document.cookie` assignment that remembers this browser's zone (run in the browser); null
 * when the browser does not say which zone it is in.
 */
export function timeZoneCookie(timeZone: string | undefined): string | null {
  if (!timeZone || !isTimeZone(timeZone)) return null;
  return `${TIME_ZONE_COOKIE}=${
    encodeURIComponent(timeZone)
  }; Path=/; Max-Age=${TIME_ZONE_COOKIE_MAX_AGE}; SameSite=Lax`;
}

/**
 * An ISO 8601 time as the reader reads it, with its zone: "2 Mar 2026, 14:05:09 CET" (en-GB,
 * Europe/Berlin), "Mar 2, 2026, 9:05:09 AM EST" (en-US, America/New_York).
 */
export function formatTime(iso: string, clock: Clock): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(clock.locale, {
    timeZone: clock.timeZone,
    dateStyle: "medium",
    timeStyle: "long",
  }).format(date);
}

/**
 * The time of day of an ISO 8601 time as the reader reads it, as a browser's
 * `toLocaleTimeString()` would show it there: "14:05:09" (en-GB), "2:05:09 PM" (en-US).
 */
export function formatTimeOfDay(iso: string, clock: Clock): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(clock.locale, { timeZone: clock.timeZone, timeStyle: "medium" })
    .format(date);
}
