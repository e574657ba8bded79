// A team member's notification preferences: quiet hours in their own time zone.

import { isTimeZone } from "../format/time.ts";
import { zonedParts } from "../time_zone.ts";
import { pushPreferencesKey } from "./keys.ts";

/** What one user chose. */
export interface PushPreferences {
  /** No lead notifications from `from` until `until` ("HH:MM", may run past midnight); null: none. */
  quietHours: { from: string; until: string } | null;
  /** The IANA zone the hours are in (the browser's when saved). */
  timeZone: string;
}

/** Until a user chooses: no quiet hours. */
export const DEFAULT_PUSH_PREFERENCES: PushPreferences = { quietHours: null, timeZone: "UTC" };

/** What a form or JSON client sends. */
export interface PushPreferencesInput {
  quietHours?: unknown;
  quietFrom?: unknown;
  quietUntil?: unknown;
  timeZone?: unknown;
}

/** The result of checking input: preferences, or a sentence per field at fault. */
export type PushPreferencesCheck =
  | { ok: true; preferences: PushPreferences }
  | { ok: false; fields: Record<string, string> };

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * Checks quiet hours: `{quietHours: {from, until} | null, timeZone}` (JSON) or `quietHours=on`,
 * `quietFrom`, `quietUntil`, `timeZone` (a form). Each error is a sentence naming the field.
 */
export function checkPushPreferences(input: PushPreferencesInput): PushPreferencesCheck {
  const fields: Record<string, string> = {};
  const timeZone = input.timeZone ?? "UTC";
  if (!isTimeZone(timeZone)) {
    fields.timeZone = "The time zone must be a zone name such as Europe/Berlin or UTC.";
  }
  let quietHours: PushPreferences["quietHours"] = null;
  const json = typeof input.quietHours === "object";
  const on = json ? input.quietHours !== null : input.quietHours === "on";
  if (on) {
    const hours = json ? input.quietHours as Record<string, unknown> : null;
    const from = hours ? hours.from : input.quietFrom;
    const until = hours ? hours.until : input.quietUntil;
    if (typeof from !== "string" || !HHMM.test(from)) {
      fields.quietFrom = "The start of the quiet hours must be a time such as 22:00.";
    }
    if (typeof until !== "string" || !HHMM.test(until)) {
      fields.quietUntil = "The end of the quiet hours must be a time such as 07:00.";
    }
    if (!fields.quietFrom && !fields.quietUntil) {
      if (from === until) {
        fields.quietUntil = "The quiet hours must end at another time than they start.";
      } else quietHours = { from: from as string, until: until as string };
    }
  } else if (
    input.quietHours !== undefined && input.quietHours !== null && input.quietHours !== "off"
  ) {
    fields.quietHours = "Quiet hours must be on or off.";
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, preferences: { quietHours, timeZone: timeZone as string } };
}

/** `userId`'s preferences (the defaults until they save some). */
export async function getPushPreferences(kv: Deno.Kv, userId: string): Promise<PushPreferences> {
  return (await kv.get<PushPreferences>(pushPreferencesKey(userId))).value ??
    DEFAULT_PUSH_PREFERENCES;
}

/** Saves `userId`'s preferences. */
export async function savePushPreferences(
  kv: Deno.Kv,
  userId: string,
  preferences: PushPreferences,
): Promise<void> {
  await kv.set(pushPreferencesKey(userId), preferences);
}

/** True when `ms` falls in the quiet hours (from inclusive, until exclusive, in their zone). */
export function isQuietAt(preferences: PushPreferences, ms: number): boolean {
  const quiet = preferences.quietHours;
  if (!quiet) return false;
  const { hour, minute } = zonedParts(ms, preferences.timeZone);
  const now = hour * 60 + minute;
  const from = minutesOf(quiet.from);
  const until = minutesOf(quiet.until);
  return from < until ? now >= from && now < until : now >= from || now < until;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}
