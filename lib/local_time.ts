// Times in the reader's own zone on server-rendered pages: the zone comes from a cookie the
// dashboard sets, so the lead page needs no script; without it, times say UTC.

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

/** True when `timeZone` is a zone this runtime can format (IANA names such as `Asia/Kolkata`). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(timeZone)) return false;
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
 * The reader's clock from a request: the zone from the cookie (ignored when it is not a real
 * zone) and the first locale of `Accept-Language` this runtime knows; UTC_CLOCK's locale and
 * `fallbackZone` (UTC unless given, e.g. the team's zone) otherwise.
 */
export function clockOf(req: Request, fallbackZone: string = UTC_CLOCK.timeZone): Clock {
  let timeZone = isTimeZone(fallbackZone) ? fallbackZone : UTC_CLOCK.timeZone;
  for (const part of (req.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== TIME_ZONE_COOKIE) continue;
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (isTimeZone(value)) timeZone = value;
  }
  return { timeZone, locale: localeOf(req.headers.get("accept-language")) };
}

function localeOf(acceptLanguage: string | null): string {
  const tags = (acceptLanguage ?? "").split(",")
    .map((item) => item.split(";")[0].trim())
    .filter((tag) => tag !== "" && tag !== "*" && tag.length <= 35);
  for (const tag of tags) {
    try {
      const [supported] = Intl.DateTimeFormat.supportedLocalesOf([tag]);
      if (supported) return supported;
    } catch {
      // Not a well-formed language tag: try the next one.
    }
  }
  return UTC_CLOCK.locale;
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
