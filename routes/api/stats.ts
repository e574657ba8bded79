// The team's speed to lead as JSON: `GET /api/stats?from=&to=` (ISO 8601; default today in the
// team's time zone), from the hourly aggregates, with the leads waiting now.

import { listUsers } from "../../lib/auth/users.ts";
import { getTeamSettings } from "../../lib/routing/settings.ts";
import { readTeamStats, readWaitingNow } from "../../lib/stats/team_stats.ts";
import { zonedDayStart } from "../../lib/time_zone.ts";
import { define } from "../../lib/app_state.ts";
import { HttpError, jsonResponse } from "../../lib/web/http_error.ts";

function instant(raw: string | null, name: string): number | null {
  if (raw === null || raw === "") return null;
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(raw)
    ? Date.parse(raw)
    : NaN;
  if (!Number.isFinite(ms)) {
    throw new HttpError(400, `Cannot read statistics: ${name} must be an ISO 8601 time`);
  }
  return ms;
}

export const handler = define.handlers({
  async GET({ url, state }) {
    const { kv } = state.services;
    const now = Date.now();
    const settings = await getTeamSettings(kv);
    const from = instant(url.searchParams.get("from"), "from") ??
      zonedDayStart(now, settings.timeZone);
    const to = instant(url.searchParams.get("to"), "to") ?? now;
    const names = new Map((await listUsers(kv)).map((user) => [user.id, user.name]));
    const stats = await readTeamStats(kv, { from, to }, names);
    return jsonResponse({ ...stats, waiting: await readWaitingNow(kv) }, 200, {
      "cache-control": "no-store",
    });
  },
});
