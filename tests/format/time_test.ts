import assert from "node:assert/strict";
import { formatTimeOfDay } from "../../lib/format/time.ts";

Deno.test("[format] formatTimeOfDay - the time of day in the reader's zone and locale, as toLocaleTimeString shows it", () => {
  const iso = "2030-01-15T14:30:05.000Z";
  assert.equal(formatTimeOfDay(iso, { timeZone: "UTC", locale: "en-GB" }), "14:30:05");
  assert.equal(formatTimeOfDay(iso, { timeZone: "Asia/Kolkata", locale: "en-GB" }), "20:00:05");
  assert.match(
    formatTimeOfDay(iso, { timeZone: "America/New_York", locale: "en-US" }),
    /^9:30:05\sAM$/,
  );
  assert.equal(
    formatTimeOfDay(iso, { timeZone: "Europe/Berlin", locale: "de-DE" }),
    new Date(iso).toLocaleTimeString("de-DE", { timeZone: "Europe/Berlin" }),
  );
  assert.equal(formatTimeOfDay("not a time", { timeZone: "UTC", locale: "en-GB" }), "not a time");
});
