// The dashboard: the newest leads rendered on the server, kept live by the LeadDashboard island.

import { DemoBanner } from "../components/DemoBanner.tsx";
import { portOf, simulateCommand } from "../lib/demo_command.ts";
import { isDemo } from "../fresh.config.ts";
import AddLeadForm from "../islands/AddLeadForm.tsx";
import LeadDashboard, { type LeadDashboardProps } from "../islands/LeadDashboard.tsx";
import SyncStatus, { type SyncStatusProps } from "../islands/SyncStatus.tsx";
import { toLeadRow } from "../islands/dashboard/row.ts";
import { define } from "../lib/web/define.ts";

export const title = "Dashboard";

/** Leads on the first screen and per "Load more". */
const PAGE_SIZE = 50;
/** The polling fallback's interval; fixed, the issue says 3 s. */
const POLL_MS = 3_000;

interface Data {
  dashboard: LeadDashboardProps;
  demo: boolean;
  /** In demo mode, the command that sends test leads to this server; else null. */
  simulate: string | null;
  olderPage: boolean;
  sync: SyncStatusProps;
  phoneCountry: string | null;
}

export const handler = define.handlers<Data>({
  async GET(ctx) {
    const { leads, alerts, config, reconciler, selfUrl, pipeline } = ctx.state.services;
    const cursor = ctx.url.searchParams.get("cursor") || null;
    // The head first: a change landing between the two reads is sent again by the stream, and
    // the island drops what it already has.
    const head = await leads.getChangeHead();
    let page;
    try {
      page = await leads.listLeads({ limit: PAGE_SIZE, cursor });
    } catch (error) {
      if (error instanceof TypeError) {
        return new Response(null, { status: 303, headers: { location: "/" } });
      }
      throw error;
    }
    return ctx.render({
      demo: isDemo(config),
      simulate: pipeline.simulator
        ? simulateCommand({
          port: selfUrl === null ? config.port : Number(new URL(selfUrl).port),
          simulatorPort: portOf(pipeline.simulator.url),
        })
        : null,
      olderPage: cursor !== null,
      sync: { ...await reconciler.status(), renderedAt: Date.now() },
      phoneCountry: config.defaultPhoneCountry,
      dashboard: {
        rows: page.leads.map(toLeadRow),
        nextCursor: page.cursor,
        cursor: String(head),
        demo: isDemo(config),
        alerts: await alerts.listAlerts(),
        renderedAt: Date.now(),
        heartbeatMs: config.live.heartbeatMs,
        pollMs: POLL_MS,
        resyncMs: config.live.resyncMs,
      },
    });
  },
});

export default define.page<Data>(function Dashboard({ data }) {
  return (
    <section>
      {data.simulate && <DemoBanner simulate={data.simulate} />}
      {data.olderPage && (
        <p class="older-page">
          Showing older leads. <a href="/">Back to the newest</a>
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
