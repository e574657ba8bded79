// The dashboard's filter bar: a plain GET form (the filtered URL is the page's, shareable, and works
// without JavaScript), the views (built-in and saved) as links, Save view and Export.

import { leadQueryParams, SORT_LABELS } from "../lib/format/lead_filter.ts";
import type { LeadQuery, LeadSort, SavedView, TeamMember } from "../lib/wire.ts";

/** What the filter bar needs. */
export interface LeadFiltersProps {
  query: LeadQuery;
  /** True on the Due view (no filter applies). */
  due: boolean;
  views: SavedView[];
  /** The view whose query is the page's, or null. */
  currentViewId: string | null;
  forms: { id: string; name: string }[];
  campaigns: { id: string; name: string }[];
  members: TeamMember[];
  me: string;
}

const STATUSES = ["new", "contacted", "qualified", "won", "lost"];
const SOURCES: [string, string][] = [
  ["meta", "Meta lead ads"],
  ["phone", "Phone"],
  ["sms", "SMS"],
  ["walk-in", "Walk-in"],
  ["other", "Other"],
];

/** The views row and the filter form. */
export function LeadFilters(props: LeadFiltersProps) {
  const { query } = props;
  const queryString = props.due ? "" : leadQueryParams(query).toString();
  const owner = query.owner.join(",");
  const statusSummary = query.status.length === 0
    ? "Any status"
    : query.status.map((s) => s[0].toUpperCase() + s.slice(1)).join(", ");
  return (
    <div class="lead-filters">
      <nav class="view-switch" aria-label="Views">
        {props.views.map((view) => (
          <span key={view.id} class="view-item">
            <a
              href={view.query ? `/?${view.query}` : "/"}
              class="view-link"
              aria-current={view.id === props.currentViewId ? "page" : undefined}
              data-view={view.id}
            >
              {view.name}
            </a>
            {!view.builtIn && view.id === props.currentViewId && (
              <form method="post" action={`/api/views/${view.id}`} class="view-delete">
                <button
                  type="submit"
                  class="link-button"
                  aria-label={`Delete the view ${view.name}`}
                >
                  ×
                </button>
              </form>
            )}
          </span>
        ))}
        <a
          href="/?view=all"
          class="view-link"
          data-view="all"
          aria-current={!props.due && queryString === "" ? "page" : undefined}
        >
          All
        </a>
      </nav>
      <form method="get" action="/" class="filter-bar" role="search" aria-label="Filter leads">
        <label class="filter-search">
          <span class="visually-hidden">Search name, email, phone or answers</span>
          <input
            id="lead-search"
            type="search"
            name="q"
            value={query.q}
            placeholder="Search name, email, phone… (/)"
            autocomplete="off"
          />
        </label>
        <input type="checkbox" id="filters-toggle" class="filters-toggle" />
        <label for="filters-toggle" class="filters-toggle-label button button-small">Filters</label>
        <div class="filters-more">
          <details class="filter-menu">
            <summary>{statusSummary}</summary>
            <fieldset class="menu-panel">
              <legend class="visually-hidden">Status</legend>
              {STATUSES.map((status) => (
                <label key={status} class="check">
                  <input
                    type="checkbox"
                    name="status"
                    value={status}
                    checked={query.status.includes(status)}
                  />{" "}
                  {status[0].toUpperCase() + status.slice(1)}
                </label>
              ))}
            </fieldset>
          </details>
          <label>
            <span class="visually-hidden">Owner</span>
            <select name="owner">
              <option value="" selected={owner === ""}>Any owner</option>
              <option value="me" selected={owner === "me"}>Me</option>
              <option value="me,none" selected={owner === "me,none"}>Me and unassigned</option>
              <option value="none" selected={owner === "none"}>Unassigned</option>
              {props.members.filter((m) => m.id !== props.me).map((m) => (
                <option key={m.id} value={m.id} selected={owner === m.id}>{m.name}</option>
              ))}
            </select>
          </label>
          <label>
            <span class="visually-hidden">Form</span>
            <select name="formId">
              <option value="">Any form</option>
              {props.forms.map((form) => (
                <option key={form.id} value={form.id} selected={query.formId.includes(form.id)}>
                  {form.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span class="visually-hidden">Campaign</span>
            <select name="campaignId">
              <option value="">Any campaign</option>
              {props.campaigns.map((c) => (
                <option key={c.id} value={c.id} selected={query.campaignId.includes(c.id)}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <details class="filter-menu">
            <summary>{moreSummary(query)}</summary>
            <div class="menu-panel">
              <label>
                <span>Source</span>
                <select name="source">
                  <option value="">Any source</option>
                  {SOURCES.map(([value, label]) => (
                    <option key={value} value={value} selected={query.source.includes(value)}>
                      {label}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <span>Created from</span>
                <input type="date" name="from" value={dayValue(query.from)} />
              </label>
              <label>
                <span>to</span>
                <input type="date" name="to" value={dayValue(query.to)} />
              </label>
              <label>
                <span>Order</span>
                <select name="sort">
                  {(Object.keys(SORT_LABELS) as LeadSort[]).map((sort) => (
                    <option key={sort} value={sort} selected={query.sort === sort}>
                      {SORT_LABELS[sort]}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          </details>
        </div>
        <button type="submit" class="button-small button-primary">Apply</button>
        {queryString !== "" && <a class="button button-small" href="/?view=all">Clear</a>}
        <a
          class="button button-small"
          href={`/api/leads/export.csv${queryString ? `?${queryString}` : ""}`}
          data-action="export"
          download
        >
          Export
        </a>
      </form>
      {!props.due && (
        <details class="save-view">
          <summary>Save view</summary>
          <form method="post" action="/api/views" class="save-view-form">
            <input type="hidden" name="query" value={queryString} />
            <label>
              <span class="visually-hidden">Name of the view</span>
              <input type="text" name="name" required maxLength={60} placeholder="Name this view" />
            </label>
            <button type="submit" class="button-small">Save</button>
          </form>
        </details>
      )}
    </div>
  );
}

/** A date input's value: the day when the filter holds a day (a time from a URL is kept as is). */
function dayValue(value: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : "";
}

/** What "More filters" holds, said on its button so a set filter is never hidden. */
function moreSummary(query: LeadQuery): string {
  const parts: string[] = [];
  const sources = SOURCES.filter(([value]) => query.source.includes(value));
  if (sources.length > 0) parts.push(sources.map(([, label]) => label).join(", "));
  if (query.from) parts.push(`from ${query.from}`);
  if (query.to) parts.push(`to ${query.to}`);
  if (query.sort !== "-created") parts.push(SORT_LABELS[query.sort]);
  return parts.length > 0 ? parts.join(" · ") : "More filters";
}
