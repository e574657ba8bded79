// The team strip on the dashboard: leads today, who waits, and how fast the team gets back to
// people (today and over 7 days, and per agent); server-rendered, refreshed every 30 s.

import { useEffect, useState } from "preact/hooks";
import { waitText } from "../lib/format/durations.ts";
import type { OwnerStats, TeamStats, TeamStatsAnswer, WaitingNow } from "../lib/wire.ts";

/** The island's props: JSON from the server. */
export interface TeamStripProps {
  today: TeamStats;
  week: TeamStats;
  waiting: WaitingNow;
  /** ISO 8601 start of the 7 days (the team's time zone), for the refresh. */
  weekFrom: string;
  /** ms since epoch when the server rendered. */
  renderedAt: number;
  refreshMs: number;
}

function duration(ms: number | null): string {
  return ms === null ? "—" : waitText(ms);
}

function share(value: number | null): string {
  return value === null ? "—" : `${Math.round(value * 100)}%`;
}

async function load(path: string): Promise<TeamStatsAnswer | null> {
  const res = await fetch(path, { cache: "no-store", headers: { accept: "application/json" } });
  return res.ok ? await res.json() : null;
}

/** The strip. */
export default function TeamStrip(props: TeamStripProps) {
  // Plain hooks, not signals: signals would move into a chunk shared with the dashboard island.
  const [figures, setFigures] = useState({
    today: props.today,
    week: props.week,
    waiting: props.waiting,
    now: props.renderedAt,
  });

  useEffect(() => {
    const timer = setInterval(async () => {
      try {
        const [day, seven] = await Promise.all([
          load("/api/stats"),
          load(`/api/stats?from=${encodeURIComponent(props.weekFrom)}`),
        ]);
        setFigures((old) => ({
          today: day ?? old.today,
          waiting: day?.waiting ?? old.waiting,
          week: seven ?? old.week,
          now: Date.now(),
        }));
      } catch {
        // The numbers stay as they were; the next refresh tries again.
      }
    }, props.refreshMs);
    return () => clearInterval(timer);
  }, []);

  const { waiting: w, today: t, week: s, now } = figures;
  const weekByOwner = new Map(s.byOwner.map((o) => [o.ownerId ?? "", o]));
  const owners: OwnerStats[] = [...t.byOwner];
  for (const o of s.byOwner) if (!t.byOwner.some((x) => x.ownerId === o.ownerId)) owners.push(o);
  return (
    <section class="team-strip" aria-label="Team speed to lead" data-team-strip>
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
