// The team's settings an admin sets: routing on or off, working hours, re-assignment, the time
// zone and the speed-to-lead clock's thresholds.

import { isTimeZone } from "../format/time.ts";
import { zonedParts } from "../time_zone.ts";
import { teamSettingsKey } from "./keys.ts";

/** When routing hands out leads, in the team's time zone. */
export interface WorkingHours {
  /** Days of the week routing works, 0 (Sunday) to 6 (Saturday). */
  days: number[];
  /** "HH:MM", inclusive. */
  start: string;
  /** "HH:MM", exclusive; earlier than `start` means the hours run past midnight. */
  end: string;
}

/** Automatic routing of new leads. */
export interface RoutingSettings {
  /** Round robin among agents on shift. */
  enabled: boolean;
  /** ISO 8601, when routing was last switched on: only leads created after it are routed. */
  since: string | null;
  /** Route only within these hours; null: at any time. */
  workingHours: WorkingHours | null;
  /** A lead not contacted this many minutes after it was assigned goes to the next agent; null: off. */
  reassignAfterMinutes: number | null;
}

/** Everything on the routing settings page. */
export interface TeamSettings {
  /** IANA time zone of the team ("today" in statistics, working hours, follow-up forms). */
  timeZone: string;
  /** The speed-to-lead clock on rows still new turns amber, then red, after these minutes. */
  clock: { amberMinutes: number; redMinutes: number };
  routing: RoutingSettings;
}

/** Field name -> why its value was refused. */
export type SettingsFieldErrors = Record<string, string>;

/** The settings until an admin changes them: routing off, clock at 5 and 15 minutes. */
export const DEFAULT_TEAM_SETTINGS: TeamSettings = {
  timeZone: "UTC",
  clock: { amberMinutes: 5, redMinutes: 15 },
  routing: { enabled: false, since: null, workingHours: null, reassignAfterMinutes: null },
};

/** The team's settings (the defaults for anything never set). */
export async function getTeamSettings(kv: Deno.Kv): Promise<TeamSettings> {
  const stored = (await kv.get<Partial<TeamSettings>>(teamSettingsKey())).value;
  return {
    timeZone: stored?.timeZone ?? DEFAULT_TEAM_SETTINGS.timeZone,
    clock: { ...DEFAULT_TEAM_SETTINGS.clock, ...stored?.clock },
    routing: { ...DEFAULT_TEAM_SETTINGS.routing, ...stored?.routing },
  };
}

/** What an admin sends (a form or JSON); strings or their typed values. */
export interface TeamSettingsInput {
  timeZone?: unknown;
  amberMinutes?: unknown;
  redMinutes?: unknown;
  routingEnabled?: unknown;
  workingHoursEnabled?: unknown;
  workingDays?: unknown;
  workStart?: unknown;
  workEnd?: unknown;
  reassignAfterMinutes?: unknown;
}

/** The outcome of `checkTeamSettings`. */
export type TeamSettingsCheck =
  | { ok: true; settings: TeamSettings }
  | { ok: false; fields: SettingsFieldErrors };

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** How a field error names each minutes field (errors are whole sentences naming the field). */
const MINUTE_FIELDS: Record<string, string> = {
  amberMinutes: "The amber threshold",
  redMinutes: "The red threshold",
  reassignAfterMinutes: "The re-assignment time",
};

/**
 * Checks `input` against the current settings and returns the new ones, or a reason per field (a
 * whole sentence naming the field, shown as it is).
 * Switching routing on records now as `since`, so leads that were already waiting stay as they are.
 */
export function checkTeamSettings(
  input: TeamSettingsInput,
  current: TeamSettings,
  now: Date,
): TeamSettingsCheck {
  const fields: SettingsFieldErrors = {};
  const timeZone = input.timeZone === undefined ? current.timeZone : String(input.timeZone).trim();
  if (!isTimeZone(timeZone)) {
    fields.timeZone = "The time zone must be a name such as Europe/Berlin or UTC.";
  }
  const amber = minutes(
    input.amberMinutes,
    current.clock.amberMinutes,
    "amberMinutes",
    fields,
    0.05,
  );
  const red = minutes(input.redMinutes, current.clock.redMinutes, "redMinutes", fields, 0.05);
  if (!fields.amberMinutes && !fields.redMinutes && red <= amber) {
    fields.redMinutes = "The red threshold must be more than the amber threshold.";
  }
  const enabled = flag(input.routingEnabled, current.routing.enabled);
  const hoursOn = flag(input.workingHoursEnabled, current.routing.workingHours !== null);
  let workingHours: WorkingHours | null = null;
  if (hoursOn) {
    const base = current.routing.workingHours ??
      { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" };
    const days = input.workingDays === undefined ? base.days : dayList(input.workingDays);
    if (days === null || days.length === 0) fields.workingDays = "Pick at least one working day.";
    const start = input.workStart === undefined ? base.start : String(input.workStart);
    const end = input.workEnd === undefined ? base.end : String(input.workEnd);
    if (!HHMM.test(start)) {
      fields.workStart = "The start of working hours must be a time such as 09:00.";
    }
    if (!HHMM.test(end)) fields.workEnd = "The end of working hours must be a time such as 17:00.";
    else if (start === end) fields.workEnd = "The end of working hours must differ from the start.";
    workingHours = { days: days ?? [], start, end };
  }
  let reassign = current.routing.reassignAfterMinutes;
  if (input.reassignAfterMinutes !== undefined) {
    const raw = input.reassignAfterMinutes;
    if (raw === null || raw === "" || raw === "0" || raw === 0) reassign = null;
    else {
      reassign = minutes(raw, 0, "reassignAfterMinutes", fields, 1);
      if (reassign > 24 * 60) {
        fields.reassignAfterMinutes =
          "The re-assignment time must be at most 1440 minutes (a day).";
      }
    }
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return {
    ok: true,
    settings: {
      timeZone,
      clock: { amberMinutes: amber, redMinutes: red },
      routing: {
        enabled,
        since: enabled
          ? (current.routing.enabled ? current.routing.since : now.toISOString())
          : null,
        workingHours,
        reassignAfterMinutes: reassign,
      },
    },
  };
}

/** Stores the settings. */
export async function saveTeamSettings(kv: Deno.Kv, settings: TeamSettings): Promise<void> {
  await kv.set(teamSettingsKey(), settings);
}

/** True when `ms` falls within the working hours (always, when there are none). */
export function isWithinWorkingHours(settings: TeamSettings, ms: number): boolean {
  const hours = settings.routing.workingHours;
  if (hours === null) return true;
  const local = zonedParts(ms, settings.timeZone);
  const minute = local.hour * 60 + local.minute;
  const start = toMinutes(hours.start);
  const end = toMinutes(hours.end);
  if (start < end) return hours.days.includes(local.weekday) && minute >= start && minute < end;
  // Past midnight: the evening belongs to today's shift, the small hours to yesterday's.
  if (minute >= start) return hours.days.includes(local.weekday);
  return minute < end && hours.days.includes((local.weekday + 6) % 7);
}

function toMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function minutes(
  raw: unknown,
  fallback: number,
  name: string,
  fields: SettingsFieldErrors,
  min: number,
): number {
  if (raw === undefined) return fallback;
  const value = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (String(raw).trim() === "" || !Number.isFinite(value) || value < min || value > 10_000) {
    fields[name] = `${MINUTE_FIELDS[name] ?? `The field ${name}`} must be a number of minutes ` +
      `from ${min} to 10000.`;
    return fallback;
  }
  return value;
}

function flag(raw: unknown, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  return raw === true || raw === "on" || raw === "true" || raw === "1";
}

function dayList(raw: unknown): number[] | null {
  const items = Array.isArray(raw) ? raw : String(raw).split(",").filter((s) => s.trim() !== "");
  const days = items.map((item) => Number(String(item).trim()));
  if (days.some((day) => !Number.isInteger(day) || day < 0 || day > 6)) return null;
  return [...new Set(days)].sort();
}
