// Reports: the month's trend on one page, from the hourly aggregates (never the leads): leads per
// day by form, campaign or source (`?by=`), time to first contact, and the funnel per campaign;
// today's figures on top refresh by themselves (the team strip).

import { listUsers } from "../lib/auth/users.ts";
import { FirstContactChart, FunnelChart, LeadsPerDayChart } from "../components/ReportCharts.tsx";
import { TeamStrip, type TeamStripProps } from "../components/TeamStrip.tsx";
import LiveFragments from "../islands/LiveFragments.tsx";
import { listCampaigns } from "../lib/leads/dimensions.ts";
import { listKnownForms } from "../lib/leads/forms.ts";
import { clockOf } from "../lib/local_time.ts";
import { getTeamSettings } from "../lib/routing/settings.ts";
import { readReport, type Report, REPORT_SPLITS, type ReportSplit } from "../lib/stats/reports.ts";
import { readTeamStrip } from "../lib/stats/team_strip.ts";
import { define } from "../lib/app_state.ts";

export const title = "Reports";

const SPLIT_LABELS: Record<ReportSplit, string> = {
  form: "By form",
  campaign: "By campaign",
  source: "By source",
};

interface Data {
  report: Report;
  strip: TeamStripProps;
  timeZone: string;
}

export const handler = define.handlers<Data>({
  async GET(ctx) {
    const { kv } = ctx.state.services;
    const settings = await getTeamSettings(kv);
    const timeZone = clockOf(ctx.req, settings.timeZone).timeZone;
    const raw = ctx.url.searchParams.get("by");
    const split: ReportSplit = REPORT_SPLITS.includes(raw as ReportSplit)
      ? raw as ReportSplit
      : "form";
    const now = Date.now();
    const forms = new Map<string, string>();
    for (const form of await listKnownForms(kv)) if (form.name) forms.set(form.id, form.name);
    const campaigns = new Map<string, string>();
    for (const c of await listCampaigns(kv)) if (c.name) campaigns.set(c.id, c.name);
    const names = new Map((await listUsers(kv)).map((u) => [u.id, u.name]));
    return ctx.render({
      timeZone,
      report: await readReport(kv, { now, timeZone, split, names: { forms, campaigns } }),
      strip: await readTeamStrip(kv, { now, timeZone: settings.timeZone, names }),
    });
  },
});

export default define.page<Data>(function Reports({ data }) {
  const { report } = data;
  return (
    <section class="reports">
      <h1>Reports</h1>
      <p class="muted">
        The last 30 days in {data.timeZone}. Today's figures below refresh every 30 seconds.
      </p>
      <TeamStrip {...data.strip} />
      <LiveFragments />
      <div class="report-card">
        <nav class="report-switch" aria-label="Split leads per day">
          {REPORT_SPLITS.map((split) => (
            <a
              key={split}
              class="view-link"
              href={`/reports?by=${split}`}
              aria-current={split === report.split ? "page" : undefined}
            >
              {SPLIT_LABELS[split]}
            </a>
          ))}
        </nav>
        <LeadsPerDayChart report={report} />
      </div>
      <div class="report-card">
        <FirstContactChart report={report} />
      </div>
      <div class="report-card">
        <FunnelChart funnel={report.funnel} />
      </div>
    </section>
  );
});
