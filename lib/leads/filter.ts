// A lead filter read from URL parameters (the dashboard, `GET /api/leads`, the export): checked,
// and resolved for the user who asks (`me`, local days in their zone).

import { DomainError } from "../errors.ts";
import { zonedWallTimeToMs } from "../time_zone.ts";
import type { LeadFilter, LeadQuery, LeadSort } from "../wire.ts";
import { LEAD_SOURCES, LEAD_STATUSES } from "./model.ts";

/** A filter parameter is not one we can apply; `details.param` names it. */
export class LeadFilterError extends DomainError {
  /** Make the error for parameter `param`; `message` says why, safe to show. */
  constructor(param: string, message: string) {
    super("invalid_input", message, { details: { param } });
  }
}

/** The parameters a filter is made of (the rest of a URL is left alone). */
export const FILTER_PARAMS: readonly string[] = [
  "q",
  "status",
  "owner",
  "formId",
  "campaignId",
  "source",
  "from",
  "to",
  "sort",
];

/** Every sort a list may ask for. */
export const LEAD_SORTS: readonly LeadSort[] = ["-created", "created", "waiting"];

const Q_MAX = 200;
const VALUES_MAX = 20;
const ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

/** True when `params` holds any filter parameter. */
export function hasFilterParams(params: URLSearchParams): boolean {
  return FILTER_PARAMS.some((name) => params.has(name));
}

/**
 * The filter `params` asks for, as typed (normalised: values trimmed, repeated and comma-separated
 * lists both read, duplicates dropped). Throws LeadFilterError naming the parameter that is wrong.
 */
export function parseLeadQuery(params: URLSearchParams): LeadQuery {
  const list = (name: string) => {
    const values = [
      ...new Set(
        params.getAll(name).flatMap((value) => value.split(",")).map((value) => value.trim())
          .filter((value) => value !== ""),
      ),
    ];
    if (values.length > VALUES_MAX) {
      throw new LeadFilterError(name, `Cannot filter leads: at most ${VALUES_MAX} ${name} values`);
    }
    return values;
  };
  const q = (params.get("q") ?? "").trim();
  if (q.length > Q_MAX) {
    throw new LeadFilterError("q", `Cannot filter leads: q is longer than ${Q_MAX} characters`);
  }
  const status = list("status");
  for (const value of status) {
    if (!(LEAD_STATUSES as readonly string[]).includes(value)) {
      throw new LeadFilterError(
        "status",
        `Cannot filter leads: status "${value.slice(0, 40)}" is not one of ${
          LEAD_STATUSES.join(", ")
        }`,
      );
    }
  }
  const source = list("source");
  for (const value of source) {
    if (!(LEAD_SOURCES as readonly string[]).includes(value)) {
      throw new LeadFilterError(
        "source",
        `Cannot filter leads: source "${value.slice(0, 40)}" is not one of ${
          LEAD_SOURCES.join(", ")
        }`,
      );
    }
  }
  const ids = (name: string) => {
    const values = list(name);
    for (const value of values) {
      if (!ID_PATTERN.test(value)) {
        throw new LeadFilterError(
          name,
          `Cannot filter leads: ${name} "${
            value.slice(0, 40)
          }" is not an id (letters, digits, - and _)`,
        );
      }
    }
    return values;
  };
  const sortRaw = params.get("sort")?.trim() || "-created";
  if (!(LEAD_SORTS as readonly string[]).includes(sortRaw)) {
    throw new LeadFilterError(
      "sort",
      `Cannot filter leads: sort must be one of ${LEAD_SORTS.join(", ")}`,
    );
  }
  const date = (name: "from" | "to") => {
    const value = (params.get(name) ?? "").trim();
    if (value !== "" && parseDay(value) === null && !isIsoTime(value)) {
      throw new LeadFilterError(
        name,
        `Cannot filter leads: ${name} must be a date (YYYY-MM-DD) or an ISO 8601 time with a zone`,
      );
    }
    return value;
  };
  return {
    q,
    status,
    owner: ids("owner"),
    formId: ids("formId"),
    campaignId: ids("campaignId"),
    source,
    from: date("from"),
    to: date("to"),
    sort: sortRaw as LeadSort,
  };
}

/**
 * `query` ready to apply for user `me`: `owner=me` is their id, a day is the local day in
 * `timeZone` (`to` includes its whole day). Throws LeadFilterError when `from` is not before `to`.
 */
export function resolveLeadQuery(
  query: LeadQuery,
  options: { me: string; timeZone: string },
): LeadFilter {
  const fromMs = query.from ? instantOf(query.from, options.timeZone, false) : null;
  const toMs = query.to ? instantOf(query.to, options.timeZone, true) : null;
  if (fromMs !== null && toMs !== null && fromMs >= toMs) {
    throw new LeadFilterError("to", "Cannot filter leads: from must be before to");
  }
  return {
    q: query.q,
    statuses: query.status,
    owners: [...new Set(query.owner.map((owner) => owner === "me" ? options.me : owner))],
    formIds: query.formId,
    campaignIds: query.campaignId,
    sources: query.source,
    fromMs,
    toMs,
    sort: query.sort,
  };
}

/** The filter `params` asks for, resolved (see parseLeadQuery and resolveLeadQuery). */
export function parseLeadFilter(
  params: URLSearchParams,
  options: { me: string; timeZone: string },
): { query: LeadQuery; filter: LeadFilter } {
  const query = parseLeadQuery(params);
  return { query, filter: resolveLeadQuery(query, options) };
}

function parseDay(value: string): { year: number; month: number; day: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [year, month, day] = match.slice(1).map(Number);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

function isIsoTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    Number.isFinite(Date.parse(value));
}

/** The instant `value` means: a day's start (or, for an end, the next day's start), or the time. */
function instantOf(value: string, timeZone: string, end: boolean): number {
  const day = parseDay(value);
  if (day === null) return Date.parse(value);
  // Date.UTC inside rolls the 32nd over into the next month.
  return zonedWallTimeToMs({ ...day, day: day.day + (end ? 1 : 0), hour: 0, minute: 0 }, timeZone);
}
