// The leads as CSV: `GET /api/leads/export.csv` with the list's filter parameters exports what
// the filtered list shows (every page of it); `POST` with `id` fields exports a selection. Streamed.

import { getTeamSettings } from "../../../lib/routing/settings.ts";
import { CSV_IDS_MAX, type CsvSource, leadsCsv } from "../../../lib/leads/export_csv.ts";
import { resolveListRequest } from "../../../lib/leads/views.ts";
import { isUlid } from "../../../lib/ids.ts";
import { clockOf } from "../../../lib/local_time.ts";
import { readFormParams } from "../../../lib/web/body.ts";
import { define } from "../../../lib/web/define.ts";
import { HttpError } from "../../../lib/web/http_error.ts";
import { zonedParts } from "../../../lib/time_zone.ts";

async function answer(
  req: Request,
  kv: Deno.Kv,
  source: (zone: string) => CsvSource | Promise<CsvSource>,
  deps: Parameters<typeof leadsCsv>[0],
) {
  const settings = await getTeamSettings(kv);
  const timeZone = clockOf(req, settings.timeZone).timeZone;
  const p = zonedParts(Date.now(), timeZone);
  const day = `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  return new Response(leadsCsv(deps, await source(timeZone), { timeZone }), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="leads-${day}.csv"`,
      "cache-control": "no-store",
    },
  });
}

export const handler = define.handlers({
  GET({ req, url, state }) {
    const { kv, leads } = state.services;
    return answer(req, kv, (timeZone) => {
      const request = resolveListRequest(url.searchParams, {
        me: state.user!.id,
        timeZone,
        defaultView: "all",
      });
      if (request.kind === "due") {
        throw new HttpError(400, "Cannot export the Due view: export a filter instead");
      }
      return { filter: request.filter };
    }, { kv, store: leads });
  },

  /** A selection: form fields `id` (repeated), at most CSV_IDS_MAX. */
  async POST({ req, state }) {
    const { kv, leads } = state.services;
    const params = await readFormParams(req, 64 * 1024);
    const ids = params.getAll("id");
    if (ids.length === 0 || ids.length > CSV_IDS_MAX || !ids.every(isUlid)) {
      throw new HttpError(
        400,
        `Cannot export leads: send 1 to ${CSV_IDS_MAX} lead ids as "id" form fields`,
      );
    }
    return answer(req, kv, () => ({ ids }), { kv, store: leads });
  },
});
