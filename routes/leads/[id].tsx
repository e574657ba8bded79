// One lead's page: every answer, the ad, campaign and form, the raw field_data and the timeline
// (its newest events; `?before=<cursor>` pages back through older ones).

import { LeadDetail } from "../../components/LeadDetail.tsx";
import type { Lead } from "../../lib/leads/model.ts";
import { TimelineCursorError } from "../../lib/leads/timeline.ts";
import { define, type PageProps } from "../../lib/web/define.ts";
import { isUlid } from "../../lib/ids.ts";
import { type Clock, clockOf } from "../../lib/local_time.ts";

/** What the page renders: the lead, its timeline page in `lead.timeline`, and the older-page cursor. */
interface LeadPageData {
  lead: Lead;
  timelineBefore: string | null;
  /** True when showing an older page than the newest. */
  olderPage: boolean;
  /** The reader's zone (from the cookie the dashboard sets) and locale, for the times shown. */
  clock: Clock;
}

export const title = (props: PageProps) => {
  const data = props.data as LeadPageData | null;
  return data ? (data.lead.fullName ?? "Lead") : "Lead not found";
};

/** Lead ids are ULIDs; anything else is the 404 page before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers<LeadPageData | null>({
  async GET(ctx) {
    const { leads } = ctx.state.services;
    let before = ctx.url.searchParams.get("before");
    let found;
    try {
      found = await leads.getLeadWithTimeline(ctx.params.id, { before });
    } catch (error) {
      if (!(error instanceof TimelineCursorError)) throw error;
      // A hand-edited link: show the newest events rather than an error page.
      before = null;
      found = await leads.getLeadWithTimeline(ctx.params.id);
    }
    if (!found) return ctx.render(null, { status: 404 });
    const { lead, timeline: page } = found;
    const data = {
      lead: { ...lead, timeline: page.events },
      timelineBefore: page.before,
      olderPage: before !== null,
      clock: clockOf(ctx.req),
    };
    // Details on their way (just received, or retried): the page refreshes itself, without script,
    // until they are in.
    return ctx.render(data, lead.details === "pending" ? { headers: { refresh: "3" } } : undefined);
  },
});

export default define.page<LeadPageData | null>(function LeadPage({ data }) {
  if (!data) {
    return (
      <section class="message-page">
        <h1>Lead not found</h1>
        <p>
          No lead has this id. <a href="/">Back to the dashboard</a>
        </p>
      </section>
    );
  }
  return (
    <LeadDetail
      lead={data.lead}
      timelineBefore={data.timelineBefore}
      olderPage={data.olderPage}
      clock={data.clock}
    />
  );
});
