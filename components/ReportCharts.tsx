// The Reports page's charts: server-rendered SVG (no chart library: three kinds of bars are a few
// rectangles), each with a title and a description, and its numbers as a table for screen readers.

import { formatDuration } from "../lib/leads/speed_to_lead.ts";
import type { CampaignFunnel, ContactRange, Report } from "../lib/stats/reports.ts";

const WIDTH = 760;

/** A round step for an axis up to `max`, and the axis top: 1, 2 or 5 times a power of ten. */
function scale(max: number, ticks = 4): { step: number; top: number } {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  return { step: Math.max(1, step), top: Math.max(1, Math.ceil(max / step) * step) };
}

/** "May 3" for `YYYY-MM-DD` (the day is already local). */
function shortDay(day: string): string {
  const [, month, date] = day.split("-").map(Number);
  const names = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  return `${names[month - 1]} ${date}`;
}

/** Leads per day, stacked by form, campaign or source. */
export function LeadsPerDayChart({ report }: { report: Report }) {
  const height = 260, left = 40, bottom = 28, top = 12;
  const plotW = WIDTH - left - 8, plotH = height - top - bottom;
  const max = Math.max(0, ...report.totals);
  const { step, top: yTop } = scale(max);
  const slot = plotW / report.days.length;
  const barW = slot * 0.72;
  const y = (n: number) => top + plotH - (n / yTop) * plotH;
  const total = report.totals.reduce((a, b) => a + b, 0);
  const busiest = report.totals.indexOf(max);
  const by = { form: "form", campaign: "campaign", source: "source" }[report.split];
  const description = total === 0
    ? "No leads in the last 30 days."
    : `${total} leads in the last 30 days, split by ${by}: ` +
      report.series.map((s) => `${s.label} ${s.total}`).join(", ") +
      `. The busiest day was ${shortDay(report.days[busiest])} with ${max}; today has ${
        report.totals.at(-1)
      } so far.`;
  return (
    <figure>
      <figcaption id="per-day-title">Leads per day, last 30 days, by {by}</figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="per-day-svg-title per-day-desc"
      >
        <title id="per-day-svg-title">Leads per day for the last 30 days, by {by}</title>
        <desc id="per-day-desc">{description}</desc>
        {Array.from({ length: yTop / step + 1 }, (_, i) => i * step).map((tick) => (
          <g key={tick}>
            <line class="grid" x1={left} x2={WIDTH - 8} y1={y(tick)} y2={y(tick)} />
            <text x={left - 6} y={y(tick) + 4} text-anchor="end">{tick}</text>
          </g>
        ))}
        {report.days.map((day, d) => {
          let base = 0;
          const x = left + d * slot + (slot - barW) / 2;
          return (
            <g key={day}>
              {report.series.map((series, i) => {
                const n = series.counts[d];
                if (n === 0) return null;
                const rect = (
                  <rect
                    key={series.key}
                    class={`series-${i}`}
                    x={x}
                    width={barW}
                    y={y(base + n)}
                    height={y(base) - y(base + n)}
                  >
                    <title>{`${shortDay(day)}: ${series.label} ${n}`}</title>
                  </rect>
                );
                base += n;
                return rect;
              })}
              {(d % 5 === 4 || d === report.days.length - 1) && (
                <text x={x + barW / 2} y={height - 8} text-anchor="middle">
                  {d === report.days.length - 1 ? "Today" : shortDay(day)}
                </text>
              )}
            </g>
          );
        })}
        <line class="axis" x1={left} x2={WIDTH - 8} y1={y(0)} y2={y(0)} />
      </svg>
      <ul class="legend" aria-hidden="true">
        {report.series.map((series, i) => (
          <li key={series.key}>
            <span class={`swatch series-${i}`} /> {series.label} ({series.total})
          </li>
        ))}
      </ul>
      <table class="visually-hidden" data-chart-table="per-day">
        <caption>Leads per day, by {by}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            {report.series.map((series) => <th key={series.key} scope="col">{series.label}</th>)}
            <th scope="col">All</th>
          </tr>
        </thead>
        <tbody>
          {report.days.map((day, d) => (
            <tr key={day}>
              <th scope="row">{day}</th>
              {report.series.map((series) => <td key={series.key}>{series.counts[d]}</td>)}
              <td>{report.totals[d]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** How long contacted leads waited, in ranges, and the leads nobody contacted yet. */
export function FirstContactChart({ report }: { report: Report }) {
  const ranges: ContactRange[] = report.contact;
  const height = 220, left = 40, bottom = 40, top = 18;
  const plotW = WIDTH - left - 8, plotH = height - top - bottom;
  const max = Math.max(0, ...ranges.map((r) => r.count));
  const { step, top: yTop } = scale(max);
  const slot = plotW / ranges.length;
  const barW = slot * 0.6;
  const y = (n: number) => top + plotH - (n / yTop) * plotH;
  const median = report.medianFirstContactMs;
  const description = report.contacted === 0
    ? "No lead of the last 30 days has been contacted yet."
    : `${report.contacted} leads contacted; median ${formatDuration(median!)}, 90th percentile ${
      formatDuration(report.p90FirstContactMs!)
    }. ` + ranges.map((r) => `${r.label}: ${r.count}`).join(", ") + ".";
  return (
    <figure>
      <figcaption>Time to first contact, last 30 days</figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="contact-title contact-desc"
      >
        <title id="contact-title">Time to first contact, leads of the last 30 days</title>
        <desc id="contact-desc">{description}</desc>
        {Array.from({ length: yTop / step + 1 }, (_, i) => i * step).map((tick) => (
          <g key={tick}>
            <line class="grid" x1={left} x2={WIDTH - 8} y1={y(tick)} y2={y(tick)} />
            <text x={left - 6} y={y(tick) + 4} text-anchor="end">{tick}</text>
          </g>
        ))}
        {ranges.map((range, i) => {
          const x = left + i * slot + (slot - barW) / 2;
          const last = i === ranges.length - 1;
          return (
            <g key={range.label}>
              <rect
                class={last ? "series-5" : "series-0"}
                x={x}
                width={barW}
                y={y(range.count)}
                height={y(0) - y(range.count)}
              >
                <title>{`${range.label}: ${range.count}`}</title>
              </rect>
              <text class="bar-label" x={x + barW / 2} y={y(range.count) - 4} text-anchor="middle">
                {range.count}
              </text>
              <text x={x + barW / 2} y={height - 22} text-anchor="middle">{range.label}</text>
            </g>
          );
        })}
        <line class="axis" x1={left} x2={WIDTH - 8} y1={y(0)} y2={y(0)} />
      </svg>
      <p class="report-summary">
        {report.contacted === 0
          ? "Nobody has been contacted yet."
          : `Median ${formatDuration(median!)}, 90th percentile ${
            formatDuration(report.p90FirstContactMs!)
          }${report.exact ? "" : " (some hours had too many leads to keep every time)"}.`}
      </p>
      <table class="visually-hidden" data-chart-table="contact">
        <caption>Time to first contact</caption>
        <thead>
          <tr>
            <th scope="col">Waited</th>
            <th scope="col">Leads</th>
          </tr>
        </thead>
        <tbody>
          {ranges.map((range) => (
            <tr key={range.label}>
              <th scope="row">{range.label}</th>
              <td>{range.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

const STAGES: [keyof Omit<CampaignFunnel, "key" | "label">, string][] = [
  ["leads", "New"],
  ["contacted", "Contacted"],
  ["qualified", "Qualified"],
  ["won", "Won"],
];

/** Per campaign: its leads, and how many got to contacted, qualified and won. */
export function FunnelChart({ funnel }: { funnel: CampaignFunnel[] }) {
  const shown = funnel.slice(0, 8);
  const row = 18, groupGap = 16, left = 150, labelH = 18;
  const groupH = labelH + STAGES.length * row;
  const height = Math.max(40, shown.length * (groupH + groupGap));
  const plotW = WIDTH - left - 60;
  const max = Math.max(1, ...shown.map((f) => f.leads));
  const description = shown.length === 0
    ? "No leads in the last 30 days."
    : shown.map((f) =>
      `${f.label}: ${f.leads} leads, ${f.contacted} contacted, ${f.qualified} qualified, ${f.won} won`
    ).join("; ") + ".";
  return (
    <figure>
      <figcaption>Funnel per campaign, leads of the last 30 days</figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${height}`}
        role="img"
        aria-labelledby="funnel-title funnel-desc"
      >
        <title id="funnel-title">New to contacted to qualified to won, per campaign</title>
        <desc id="funnel-desc">{description}</desc>
        {shown.map((f, g) => {
          const top = g * (groupH + groupGap);
          return (
            <g key={f.key}>
              <text class="bar-label" x={0} y={top + 13} font-weight="600">{f.label}</text>
              {STAGES.map(([stage, label], i) => {
                const n = f[stage];
                const yy = top + labelH + i * row;
                const share = f.leads ? Math.round((n / f.leads) * 100) : 0;
                return (
                  <g key={stage}>
                    <text x={left - 8} y={yy + 12} text-anchor="end">{label}</text>
                    <rect
                      class={`series-${i}`}
                      x={left}
                      y={yy + 2}
                      height={row - 5}
                      width={(n / max) * plotW}
                    >
                      <title>{`${f.label}, ${label.toLowerCase()}: ${n} (${share}%)`}</title>
                    </rect>
                    <text class="bar-label" x={left + (n / max) * plotW + 6} y={yy + 12}>
                      {stage === "leads" ? `${n}` : `${n} (${share}%)`}
                    </text>
                  </g>
                );
              })}
            </g>
          );
        })}
      </svg>
      <table class="visually-hidden" data-chart-table="funnel">
        <caption>Funnel per campaign</caption>
        <thead>
          <tr>
            <th scope="col">Campaign</th>
            {STAGES.map(([stage, label]) => <th key={stage} scope="col">{label}</th>)}
          </tr>
        </thead>
        <tbody>
          {funnel.map((f) => (
            <tr key={f.key}>
              <th scope="row">{f.label}</th>
              {STAGES.map(([stage]) => <td key={stage}>{f[stage]}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
