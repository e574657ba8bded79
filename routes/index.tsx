// The dashboard: the newest leads rendered on the server, kept live by the LeadDashboard island;
// `?view=mine|all|due` picks the leads (mine and unassigned by default), the team strip on top.

import { listUsers } from "../lib/auth/users.ts";
import { DemoBanner } from "../components/DemoBanner.tsx";
import { portOf, simulateCommand } from "../lib/demo_command.ts";
import { isDemo } from "../lib/config.ts";
import AddLeadForm from "../islands/AddLeadForm.tsx";
import LeadDashboard, { type LeadDashboardProps } from "../islands/LeadDashboard.tsx";
import SyncStatus, { type SyncStatusProps } from "../islands/SyncStatus.tsx";
import TeamStrip, { type TeamStripProps } from "../islands/TeamStrip.tsx";
import { toLeadRow } from "../lib/format/lead_row.ts";
import { LEAD_PAGE_SIZE } from "../lib/wire.ts";
import {
  endOfToday,
  type LeadView,
  listDueLeads,
  listLeadsForView,
  parseLeadView,
} from "../lib/leads/views.ts";
import { getTeamSettings } from "../lib/routing/settings.ts";
import { isOnShift } from "../lib/routing/shift.ts";
import { readTeamStats, readWaitingNow } from "../lib/stats/team_stats.ts";
import { zonedDayStart } from "../lib/time_zone.ts";
import { define } from "../lib/app_state.ts";
import { InvalidCursorError } from "../lib/errors.ts";

export const title = "Dashboard";

/** The polling fallback's interval; fixed, the issue says 3 s. */
const POLL_MS = 3_000;
/** How often the team strip refreshes its numbers. */
const STRIP_REFRESH_MS = 30_000;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Data {
  dashboard: LeadDashboardProps;
  strip: TeamStripProps;
  view: LeadView;
  onShift: boolean;
  demo: boolean;
  /** In demo mode, the command that sends test leads to this server; else null. */
  simulate: string | null;
  olderPage: boolean;
  sync: SyncStatusProps;
  phoneCountry: string | null;
}

const VIEW_LABELS: Record<LeadView, string> = {
  mine: "Mine and unassigned",
  all: "All",
  due: "Due",
};

export const handler = define.handlers<Data>({
  async GET(ctx) {
    const { leads, alerts, config, reconciler, kv, selfUrl, simulator } = ctx.state.services;
    const user = ctx.state.user!;
    const view = parseLeadView(ctx.url.searchParams.get("view"));
    const cursor = view === "due" ? null : ctx.url.searchParams.get("cursor") || null;
    const settings = await getTeamSettings(kv);
    const now = Date.now();
    // The head first: a change landing between the two reads is sent again by the stream, and
    // the island drops what it already has.
    const head = await leads.getChangeHead();
    let page;
    try {
      page = view === "due"
        ? {
          leads: await listDueLeads(kv, leads, {
            until: endOfToday(now, settings.timeZone),
            ownerId: user.role === "admin" ? null : user.id,
          }),
          cursor: null,
        }
        : await listLeadsForView(leads, view, user.id, { limit: LEAD_PAGE_SIZE, cursor });
    } catch (error) {
      // A hand-edited "Load more" link: the newest leads rather than an error page.
      if (error instanceof InvalidCursorError) {
        return new Response(null, { status: 303, headers: { location: `/?view=${view}` } });
      }
      throw error;
    }
    const names = new Map((await listUsers(kv)).map((u) => [u.id, u.name]));
    const weekFrom = zonedDayStart(now - 6 * DAY_MS, settings.timeZone);
    return ctx.render({
      view,
      onShift: await isOnShift(kv, user.id),
      demo: isDemo(config),
      simulate: simulator
        ? simulateCommand({
          port: selfUrl === null ? config.port : Number(new URL(selfUrl).port),
          simulatorPort: portOf(simulator.url),
        })
        : null,
      olderPage: cursor !== null,
      sync: { ...await reconciler.status(), renderedAt: now },
      phoneCountry: config.defaultPhoneCountry,
      strip: {
        today: await readTeamStats(
          kv,
          { from: zonedDayStart(now, settings.timeZone), to: now },
          names,
        ),
        week: await readTeamStats(kv, { from: weekFrom, to: now }, names),
        waiting: await readWaitingNow(kv),
        weekFrom: new Date(weekFrom).toISOString(),
        renderedAt: now,
        refreshMs: STRIP_REFRESH_MS,
      },
      dashboard: {
        rows: page.leads.map(toLeadRow),
        nextCursor: page.cursor,
        cursor: String(head),
        demo: isDemo(config),
        alerts: await alerts.listAlerts(),
        renderedAt: now,
        heartbeatMs: config.live.heartbeatMs,
        pollMs: POLL_MS,
        resyncMs: config.live.resyncMs,
        me: user.id,
        view,
        clock: {
          amberMs: settings.clock.amberMinutes * 60_000,
          redMs: settings.clock.redMinutes * 60_000,
        },
      },
    });
  },
});

export default define.page<Data>(function Dashboard({ data }) {
  return (
    <section>
      {data.simulate && <DemoBanner simulate={data.simulate} />}
      <TeamStrip {...data.strip} />
      <div class="work-bar">
        <nav class="view-switch" aria-label="Which leads">
          {(Object.keys(VIEW_LABELS) as LeadView[]).map((view) => (
            <a
              key={view}
              href={`/?view=${view}`}
              class="view-link"
              aria-current={view === data.view ? "page" : undefined}
              data-view={view}
            >
              {VIEW_LABELS[view]}
            </a>
          ))}
        </nav>
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
      </div>
      {data.olderPage && (
        <p class="older-page">
          Showing older leads. <a href={`/?view=${data.view}`}>Back to the newest</a>
        </p>
      )}
      <div class="lead-tools">
        <SyncStatus {...data.sync} />
        <AddLeadForm phoneCountry={data.phoneCountry} />
      </div>
      <LeadDashboard {...data.dashboard} />
    </section>
  );
});
