// The dashboard's views of the leads: mine and unassigned, all, the follow-ups due, and any filter
// (`?status=&owner=&q=…`, see filter.ts): what a list request asks for, and the lists themselves.

import { EMPTY_QUERY } from "../format/lead_filter.ts";
import type { LeadFilter, LeadQuery } from "../wire.ts";
import { hasFilterParams, parseLeadQuery, resolveLeadQuery } from "./filter.ts";
import { zonedDayStart } from "../time_zone.ts";
import { leadByFollowUpKey, LEADS_BY_FOLLOW_UP_PREFIX } from "./keys.ts";
import type { Lead } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** Which leads the dashboard lists: `?view=mine|all|due`. */
export type LeadView = "mine" | "all" | "due";

/** Every view, the default first. */
export const LEAD_VIEWS: readonly LeadView[] = ["mine", "all", "due"];

/** The view a query value names; the default ("mine": mine and unassigned) for anything else. */
export function parseLeadView(value: string | null | undefined): LeadView {
  return (LEAD_VIEWS as readonly (string | null | undefined)[]).includes(value)
    ? value as LeadView
    : "mine";
}

/** The most leads the Due view lists. */
export const DUE_LIMIT = 200;

/**
 * The leads with a follow-up due before `until` (normally the end of today), oldest follow-up
 * first, read from the follow-up index: `ownerId`'s own and those of leads nobody owns, or
 * everyone's when null (admins).
 */
export async function listDueLeads(
  kv: Deno.Kv,
  store: LeadStore,
  options: { until: number; ownerId: string | null; limit?: number },
): Promise<Lead[]> {
  const limit = Math.max(1, Math.min(options.limit ?? DUE_LIMIT, 500));
  const ids: string[] = [];
  const iter = kv.list<string | null>({
    start: LEADS_BY_FOLLOW_UP_PREFIX,
    end: leadByFollowUpKey(options.until, "~"),
  });
  for await (const entry of iter) {
    // An agent's follow-ups, and those on leads nobody owns (as "mine and unassigned").
    if (options.ownerId !== null && entry.value !== options.ownerId && entry.value !== null) {
      continue;
    }
    ids.push(entry.key[2] as string);
    if (ids.length >= limit) break;
  }
  return (await store.getLeads(ids)).filter((lead): lead is Lead => lead !== null);
}

/**
 * The end of the local day in `timeZone` that holds `now` (the Due view's limit: follow-ups that
 * are past or later today).
 */
export function endOfToday(now: number, timeZone: string): number {
  // 26 hours on from the day's start is always in the next day, whatever DST does.
  return zonedDayStart(zonedDayStart(now, timeZone) + 26 * 60 * 60 * 1000, timeZone);
}

/** What a list request asks for: the Due view, or a filtered list (a view is a filter too). */
export type ListRequest =
  | { kind: "due"; view: "due" }
  | { kind: "filter"; view: LeadView | null; query: LeadQuery; filter: LeadFilter };

/**
 * What `params` asks the list for, for user `me` whose days are in `timeZone`: `view=due` is the
 * Due view; filter parameters are that filter (with `view=mine`, owners "me" and "none" unless it
 * names owners); `view=mine` or `view=all` alone, or no parameter at all (then `defaultView`), is
 * that view as a filter. Throws LeadFilterError for a filter parameter that is wrong.
 */
export function resolveListRequest(
  params: URLSearchParams,
  options: { me: string; timeZone: string; defaultView: "mine" | "all" },
): ListRequest {
  const viewRaw = params.get("view");
  const view = viewRaw === null ? null : parseLeadView(viewRaw);
  if (view === "due") return { kind: "due", view };
  const filtered = hasFilterParams(params);
  const query = filtered ? parseLeadQuery(params) : { ...EMPTY_QUERY };
  const effective = view ?? (filtered ? null : options.defaultView);
  if (effective === "mine" && query.owner.length === 0) query.owner = ["me", "none"];
  return {
    kind: "filter",
    view: effective,
    query,
    filter: resolveLeadQuery(query, options),
  };
}
