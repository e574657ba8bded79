// The leads as CSV: `GET /api/leads/export.csv` with the list's filter parameters exports what
// the filtered list shows (every page of it); `POST` with `id` fields exports a selection. Streamed.

import { getTeamSettings } from "../../../lib/routing/settings.ts";
import { CSV_IDS_MAX, type CsvSource, leadsCsv } from "../../../lib/leads/export_csv.ts";
import { resolveListRequest } from "../../../lib/leads/views.ts";
import { isUlid } from "../../../lib/ids.ts";
import { clockOf } from "../../../lib/local_time.ts";
import { readFormParams } from "../../../lib/web/body.ts";
import { define } from "../../../lib/app_state.ts";
import { HttpError } from "../../../lib/web/http_error.ts";
import { zonedParts } from "../../../lib/time_zone.ts";

/**
 * The CSV answer: the leads `source` names (given the reader's zone, which the times are written
 * in), streamed as they are read.
 */
async function csvAnswer(
  req: Request,
  deps: { kv: Deno.Kv; store: Parameters<typeof leadsCsv>[0]["store"] },
  source: (timeZone: string) => CsvSource,
): Promise<Response> {
  const settings = await getTeamSettings(deps.kv);
  const timeZone = clockOf(req, settings.timeZone).timeZone;
  const p = zonedParts(Date.now(), timeZone);
  const day = `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  return new Response(leadsCsv(deps, source(timeZone), { timeZone }), {
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
    return csvAnswer(req, { kv, store: leads }, (timeZone) => {
      const request = resolveListRequest(url.searchParams, {
        me: state.user!.id,
        timeZone,
        defaultView: "all",
      });
      if (request.kind === "due") {
        throw new HttpError(400, "Cannot export the Due view: export a filter instead");
      }
      return { filter: request.filter };
    });
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
    return csvAnswer(req, { kv, store: leads }, () => ({ ids }));
  },
});
