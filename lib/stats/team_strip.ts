// What the team strip shows: the figures of today and of the last 7 days (days of the team's time
// zone) and the leads waiting now, read together for the pages that show it and for its refresh.

import { listUsers } from "../auth/users.ts";
import { getTeamSettings } from "../routing/settings.ts";
import { zonedDayStart } from "../time_zone.ts";
import type { TeamStats, WaitingNow } from "../wire.ts";
import { readTeamStats, readWaitingNow } from "./team_stats.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The team strip's figures, as of `now`. */
export interface TeamStripFigures {
  today: TeamStats;
  /** Today and the 6 days before it. */
  week: TeamStats;
  waiting: WaitingNow;
  /** ms since epoch: when they were read, for "oldest waits 7 min". */
  now: number;
}

/** What {@linkcode readTeamStrip} reads itself unless the caller has it at hand. */
export interface ReadTeamStripOptions {
  now: number;
  /** The team's time zone (its settings'), which decides where a day starts. */
  timeZone?: string;
  /** Owner id -> name, for the per-agent rows. */
  names?: Map<string, string>;
}

/** Reads the team strip's figures. */
export async function readTeamStrip(
  kv: Deno.Kv,
  options: ReadTeamStripOptions,
): Promise<TeamStripFigures> {
  const { now } = options;
  const timeZone = options.timeZone ?? (await getTeamSettings(kv)).timeZone;
  const names = options.names ?? new Map((await listUsers(kv)).map((u) => [u.id, u.name]));
  const weekFrom = zonedDayStart(now - 6 * DAY_MS, timeZone);
  return {
    today: await readTeamStats(kv, { from: zonedDayStart(now, timeZone), to: now }, names),
    week: await readTeamStats(kv, { from: weekFrom, to: now }, names),
    waiting: await readWaitingNow(kv),
    now,
  };
}
