// The team strip: leads today, who waits, and how fast the team gets back to people (today and over
// 7 days, and per agent). Server-rendered on the dashboard and Reports, and again every 30 s as a
// live fragment (lib/web/fragments.ts) that the page puts in place of the old one.

import { waitText } from "../lib/format/durations.ts";
import type { TeamStripFigures } from "../lib/stats/team_strip.ts";
import type { OwnerStats } from "../lib/wire.ts";
import { liveAttributes } from "../lib/web/fragments.ts";

/** Where the strip is fetched again: routes/fragments/team-strip.ts. */
export const TEAM_STRIP_FRAGMENT = "/fragments/team-strip";

/** How often the strip refreshes its numbers. */
export const TEAM_STRIP_REFRESH_MS = 30_000;

/** The strip's figures, as read by lib/stats/team_strip.ts. */
export type TeamStripProps = TeamStripFigures;

function duration(ms: number | null): string {
  return ms === null ? "—" : waitText(ms);
}

function share(value: number | null): string {
  return value === null ? "—" : `${Math.round(value * 100)}%`;
}

/** The strip, refreshed in place by islands/LiveFragments.tsx (which the page renders). */
export function TeamStrip({ waiting: w, today: t, week: s, now }: TeamStripProps) {
  const weekByOwner = new Map(s.byOwner.map((o) => [o.ownerId ?? "", o]));
  const owners: OwnerStats[] = [...t.byOwner];
  for (const o of s.byOwner) if (!t.byOwner.some((x) => x.ownerId === o.ownerId)) owners.push(o);
  return (
    <section
      class="team-strip"
      aria-label="Team speed to lead"
      data-team-strip
      {...liveAttributes({ src: TEAM_STRIP_FRAGMENT, everyMs: TEAM_STRIP_REFRESH_MS })}
    >
      <dl class="team-figures">
        <div>
          <dt>Leads today</dt>
          <dd data-stat="leads">{t.leads}</dd>
        </div>
        <div>
          <dt>Waiting now</dt>
          <dd data-stat="waiting">
            {w.count}
            {w.oldestCreatedTime &&
              ` (oldest ${waitText(Math.max(0, now - Date.parse(w.oldestCreatedTime)))})`}
          </dd>
        </div>
        <div>
          <dt>Median to first contact</dt>
          <dd data-stat="median">
            {duration(t.medianFirstContactMs)} today · {duration(s.medianFirstContactMs)} 7 days
          </dd>
        </div>
        <div>
          <dt>90th percentile</dt>
          <dd data-stat="p90">
            {duration(t.p90FirstContactMs)} today · {duration(s.p90FirstContactMs)} 7 days
          </dd>
        </div>
        <div>
          <dt>Contacted within 5 min</dt>
          <dd data-stat="within5">
            {share(t.within5MinShare)} today · {share(s.within5MinShare)} 7 days
          </dd>
        </div>
      </dl>
      {owners.length > 0 && (
        <details class="team-agents">
          <summary>Per agent</summary>
          {
            /* Six columns do not fit a phone: the table scrolls sideways in its own box
            (focusable, so a keyboard can scroll it too) rather than widening the page. */
          }
          <div class="table-scroll" role="region" aria-label="Per agent figures" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Owner</th>
                  <th scope="col">Leads today</th>
                  <th scope="col">Contacted</th>
                  <th scope="col">Median today</th>
                  <th scope="col">Within 5 min</th>
                  <th scope="col">Median 7 days</th>
                </tr>
              </thead>
              <tbody>
                {owners.map((o) => {
                  const mine = t.byOwner.find((x) => x.ownerId === o.ownerId);
                  return (
                    <tr key={o.ownerId ?? ""} data-agent={o.ownerId ?? ""}>
                      <th scope="row">{o.name}</th>
                      <td>{mine?.leads ?? 0}</td>
                      <td>{mine?.contacted ?? 0}</td>
                      <td>{duration(mine?.medianFirstContactMs ?? null)}</td>
                      <td>{share(mine?.within5MinShare ?? null)}</td>
                      <td>
                        {duration(weekByOwner.get(o.ownerId ?? "")?.medianFirstContactMs ?? null)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </section>
  );
}
