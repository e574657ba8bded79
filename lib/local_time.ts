// The reader's own zone on server-rendered pages: it comes from a cookie the dashboard sets, so
// the lead page needs no script; without it, times say UTC. How times read is lib/format/time.ts.

import { type Clock, isTimeZone, TIME_ZONE_COOKIE, UTC_CLOCK } from "./format/time.ts";

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
