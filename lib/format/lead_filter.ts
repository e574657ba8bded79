// Whether a lead belongs to a filtered list, in which order, and the filter as a URL: the one
// predicate the server's search checks candidates with and the dashboard island applies to live
// leads, so a live lead joins a filtered list exactly when a reload would show it there.

import type { LeadFilter, LeadQuery, LeadSort } from "../wire.ts";
import { leadSearchTerms, type SearchableLead, searchWords, termsMatch } from "./lead_search.ts";

/** What the filter reads of a lead (the API's lead JSON has all of it). */
export interface FilterableLead extends SearchableLead {
  id: string;
  status: string;
  ownerId: string | null;
  formId: string | null;
  campaignId?: string | null;
  source: string;
  createdTime: string;
  firstContactAt: string | null;
}

/** Owner value of a filter for the leads nobody owns. */
export const NO_OWNER_FILTER = "none";

/** The filter that lets every lead through, newest first. */
export const EMPTY_FILTER: LeadFilter = {
  q: "",
  statuses: [],
  owners: [],
  formIds: [],
  campaignIds: [],
  sources: [],
  fromMs: null,
  toMs: null,
  sort: "-created",
};

/** The query of no filter: every lead, newest first. */
export const EMPTY_QUERY: LeadQuery = {
  q: "",
  status: [],
  owner: [],
  formId: [],
  campaignId: [],
  source: [],
  from: "",
  to: "",
  sort: "-created",
};

/** True for a lead in status new that nobody has contacted yet (its clock runs). */
export function isWaitingLead(lead: Pick<FilterableLead, "status" | "firstContactAt">): boolean {
  return lead.status === "new" && !lead.firstContactAt;
}

/** True when `filter` asks for something (any condition, or an order other than newest first). */
export function isFiltered(filter: LeadFilter): boolean {
  return filter.q.trim() !== "" || filter.statuses.length > 0 || filter.owners.length > 0 ||
    filter.formIds.length > 0 || filter.campaignIds.length > 0 || filter.sources.length > 0 ||
    filter.fromMs !== null || filter.toMs !== null || filter.sort !== "-created";
}

/**
 * True when `lead` belongs to the list `filter` selects. `sort=waiting` lists only the leads still
 * waiting. The search words must each start one of the lead's search terms.
 */
export function matchesLeadFilter(lead: FilterableLead, filter: LeadFilter): boolean {
  if (!matchesConditions(lead, filter)) return false;
  const words = searchWords(filter.q);
  return words.length === 0 || termsMatch(leadSearchTerms(lead), words);
}

/**
 * `matchesLeadFilter` but for the search words: what the dashboard checks of a live lead itself.
 * It leaves the words to the server (a list with a search reloads), so the page carries no copy
 * of the search terms' making.
 */
export function matchesConditions(lead: FilterableLead, filter: LeadFilter): boolean {
  const any = (list: string[], value: string | null | undefined) =>
    list.length === 0 || list.includes(value ?? "");
  if (!any(filter.statuses, lead.status)) return false;
  if (!any(filter.owners, lead.ownerId ?? NO_OWNER_FILTER)) return false;
  if (!any(filter.formIds, lead.formId)) return false;
  if (!any(filter.campaignIds, lead.campaignId)) return false;
  if (!any(filter.sources, lead.source)) return false;
  const created = Date.parse(lead.createdTime);
  if (filter.fromMs !== null && !(created >= filter.fromMs)) return false;
  if (filter.toMs !== null && !(created < filter.toMs)) return false;
  return filter.sort !== "waiting" || isWaitingLead(lead);
}

/** The order of `sort` over leads (created time, then id: ULIDs break ties the same way). */
export function compareForSort(
  sort: LeadSort,
): (
  a: Pick<FilterableLead, "createdTime" | "id">,
  b: Pick<FilterableLead, "createdTime" | "id">,
) => number {
  const newestFirst = sort === "-created";
  return (a, b) => {
    const x = Date.parse(a.createdTime), y = Date.parse(b.createdTime);
    const order = x !== y ? x - y : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    return newestFirst ? -order : order;
  };
}

/**
 * `query` as URL parameters, in a fixed order, leaving out what is empty or default: the dashboard
 * links, the export button and saved views all write a filter this way.
 */
export function leadQueryParams(query: LeadQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.q.trim()) params.set("q", query.q.trim());
  for (const name of ["status", "owner", "formId", "campaignId", "source"] as const) {
    for (const value of query[name]) params.append(name, value);
  }
  if (query.from) params.set("from", query.from);
  if (query.to) params.set("to", query.to);
  if (query.sort !== "-created") params.set("sort", query.sort);
  return params;
}

/** The sorts a list may ask for, and what they read as. */
export const SORT_LABELS: Readonly<Record<LeadSort, string>> = {
  "-created": "Newest first",
  created: "Oldest first",
  waiting: "Waiting longest",
};
