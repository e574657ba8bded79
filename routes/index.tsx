// The dashboard: a page of leads rendered on the server (any filter, `?q=&status=&owner=…`, or
// `?view=mine|all|due`; mine and unassigned by default), kept live by the LeadDashboard island;
// the team strip, the views and the filter bar on top.

import { listUsers } from "../lib/auth/users.ts";
import { DemoBanner } from "../components/DemoBanner.tsx";
import { LeadFilters, type LeadFiltersProps } from "../components/LeadFilters.tsx";
import { portOf, simulateCommand } from "../lib/demo_command.ts";
import { isDemo } from "../lib/config.ts";
import { SyncStatus, type SyncStatusProps } from "../components/SyncStatus.tsx";
import { TeamStrip, type TeamStripProps } from "../components/TeamStrip.tsx";
import AddLeadForm from "../islands/AddLeadForm.tsx";
import LeadDashboard, { type LeadDashboardProps } from "../islands/LeadDashboard.tsx";
import { sortLinks } from "../lib/format/sort_links.ts";
import LiveFragments from "../islands/LiveFragments.tsx";
import { EMPTY_FILTER, EMPTY_QUERY, leadQueryParams } from "../lib/format/lead_filter.ts";
import { toLeadRow } from "../lib/format/lead_row.ts";
import { LEAD_PAGE_SIZE } from "../lib/wire.ts";
import { formColumnsByForm, listCampaigns, listFormQuestions } from "../lib/leads/dimensions.ts";
import { listKnownForms } from "../lib/leads/forms.ts";
import { LeadFilterError } from "../lib/leads/filter.ts";
import { builtInViews, listSavedViews } from "../lib/leads/saved_views.ts";
import { searchLeads } from "../lib/leads/search.ts";
import { endOfToday, listDueLeads, resolveListRequest } from "../lib/leads/views.ts";
import { clockOf } from "../lib/local_time.ts";
import { getTeamSettings } from "../lib/routing/settings.ts";
import { isOnShift } from "../lib/routing/shift.ts";
import { readTeamStrip } from "../lib/stats/team_strip.ts";
import { define } from "../lib/app_state.ts";

export const title = "Dashboard";

/** The polling fallback's interval; fixed, the issue says 3 s. */
const POLL_MS = 3_000;

interface Data {
  dashboard: LeadDashboardProps;
  strip: TeamStripProps;
  filters: LeadFiltersProps;
  onShift: boolean;
  demo: boolean;
  /** In demo mode, the command that sends test leads to this server; else null. */
  simulate: string | null;
  /** The first page's link, when this page continues a list. */
  olderPage: string | null;
  sync: SyncStatusProps;
  phoneCountry: string | null;
  /** Why the filter in the URL was not applied, or null. */
  filterError: string | null;
}

export const handler = define.handlers<Data>({
  async GET(ctx) {
    const { leads, alerts, config, reconciler, kv, selfUrl, simulator } = ctx.state.services;
    const user = ctx.state.user!;
    const settings = await getTeamSettings(kv);
    const clock = clockOf(ctx.req, settings.timeZone);
    const timeZone = clock.timeZone;
    const now = Date.now();
    let filterError: string | null = null;
    let request;
    try {
      request = resolveListRequest(ctx.url.searchParams, {
        me: user.id,
        timeZone,
        defaultView: "mine",
      });
    } catch (error) {
      if (!(error instanceof LeadFilterError)) throw error;
      // A hand-edited URL: say what is wrong above the unfiltered list rather than fail.
      filterError = error.message;
      request = resolveListRequest(new URLSearchParams("view=all"), {
        me: user.id,
        timeZone,
        defaultView: "all",
      });
    }
    const due = request.kind === "due";
    const cursor = due ? null : ctx.url.searchParams.get("cursor") || null;
    // The head first: a change landing between the two reads is sent again by the stream, and
    // the island drops what it already has.
    const head = await leads.getChangeHead();
    // A cursor we did not give out (a hand-edited "Load more" link) throws InvalidCursorError,
    // which the app answers with a 400 page saying so.
    const page = request.kind === "due"
      ? {
        leads: await listDueLeads(kv, leads, {
          until: endOfToday(now, settings.timeZone),
          ownerId: user.role === "admin" ? null : user.id,
        }),
        cursor: null,
      }
      : await searchLeads(kv, leads, request.filter, { limit: LEAD_PAGE_SIZE, cursor });
    const users = await listUsers(kv);
    const names = new Map(users.map((u) => [u.id, u.name]));
    const active = users.filter((u) => !u.disabled).map((u) => ({ id: u.id, name: u.name }));
    const query = request.kind === "filter" ? request.query : null;
    const queryString = query ? leadQueryParams(query).toString() : "";
    const views = [
      ...builtInViews(now, timeZone),
      ...await listSavedViews(kv, user.id),
    ];
    const knownForms = new Map((await listKnownForms(kv)).map((f) => [f.id, f.name]));
    const formIds = [...(await listFormQuestions(kv)).keys(), ...knownForms.keys()]
      .filter((id) => id !== "");
    const columns = await formColumnsByForm(kv);
    const withoutCursor = new URLSearchParams(ctx.url.search);
    withoutCursor.delete("cursor");
    return ctx.render({
      onShift: await isOnShift(kv, user.id),
      demo: isDemo(config),
      simulate: simulator
        ? simulateCommand({
          port: selfUrl === null ? config.port : Number(new URL(selfUrl).port),
          simulatorPort: portOf(simulator.url),
        })
        : null,
      olderPage: cursor !== null ? `/?${withoutCursor}` : null,
      sync: { status: await reconciler.status(), now, clock },
      phoneCountry: config.defaultPhoneCountry,
      filterError,
      filters: {
        query: query ?? { ...EMPTY_QUERY },
        due,
        views,
        currentViewId: due
          ? "due"
          : views.find((view) => view.query === queryString && queryString !== "")?.id ?? null,
        forms: [...new Set(formIds)]
          .map((id) => ({ id, name: knownForms.get(id) ?? `Form ${id}` }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        campaigns: (await listCampaigns(kv)).map((c) => ({
          id: c.id,
          name: c.name ?? `Campaign ${c.id}`,
        })),
        members: active,
        me: user.id,
      },
      strip: await readTeamStrip(kv, { now, timeZone: settings.timeZone, names }),
      dashboard: {
        rows: page.leads.map((lead) => toLeadRow(lead, columns)),
        nextCursor: page.cursor,
        cursor: String(head),
        demo: isDemo(config),
        alerts: await alerts.listAlerts(),
        renderedAt: now,
        heartbeatMs: config.live.heartbeatMs,
        pollMs: POLL_MS,
        resyncMs: config.live.resyncMs,
        me: user.id,
        view: request.view,
        clock: {
          amberMs: settings.clock.amberMinutes * 60_000,
          redMs: settings.clock.redMinutes * 60_000,
        },
        filter: request.kind === "filter" ? request.filter : { ...EMPTY_FILTER },
        query: queryString,
        sortLinks: request.view === "due" ? null : sortLinks(
          queryString,
          request.kind === "filter" ? request.filter.sort : EMPTY_FILTER.sort,
        ),
        columns,
        members: user.role === "admin" ? active : [{ id: user.id, name: user.name }],
      },
    });
  },
});

export default define.page<Data>(function Dashboard({ data }) {
  return (
    <section class="dashboard-page">
      {data.simulate && <DemoBanner simulate={data.simulate} />}
      <TeamStrip {...data.strip} />
      <div class="work-bar">
        <LeadFilters {...data.filters} />
        {
          /* A plain form: routing gives leads only to agents on shift. Works without JavaScript and
          comes back here. */
        }
        <form
          method="post"
          action="/api/shift"
          class="shift-form"
          data-shift={data.onShift ? "on" : "off"}
        >
          <input type="hidden" name="onShift" value={data.onShift ? "off" : "on"} />
          <span class="shift-state">{data.onShift ? "You are on shift" : "You are off shift"}</span>
          {" "}
          <button type="submit" class="button-small" aria-pressed={data.onShift ? "true" : "false"}>
            {data.onShift ? "Go off shift" : "Go on shift"}
          </button>
        </form>
        <div class="lead-tools">
          <SyncStatus {...data.sync} />
          <AddLeadForm phoneCountry={data.phoneCountry} />
        </div>
      </div>
      {data.filterError && <p class="form-error" role="alert">{data.filterError}</p>}
      {data.olderPage && (
        <p class="older-page">
          Showing older leads. <a href={data.olderPage}>Back to the newest</a>
        </p>
      )}
      <LeadDashboard {...data.dashboard} />
      {/* Refreshes the team strip and the sync line (server-rendered parts) in place. */}
      <LiveFragments />
    </section>
  );
});
