// One lead's page: every answer, the ad, campaign and form, the raw field_data and the timeline.

import { LeadDetail } from "../../components/LeadDetail.tsx";
import type { Lead } from "../../lib/leads/model.ts";
import { define, type PageProps } from "../../lib/web/define.ts";
import { isUlid } from "../../lib/ids.ts";

export const title = (props: PageProps) => {
  const lead = props.data as Lead | null;
  return lead ? (lead.fullName ?? "Lead") : "Lead not found";
};

/** Lead ids are ULIDs; anything else is the 404 page before it reaches KV. */
export const params = { id: isUlid };

export const handler = define.handlers<Lead | null>({
  async GET(ctx) {
    const lead = await ctx.state.services.leads.getLead(ctx.params.id);
    if (!lead) return ctx.render(null, { status: 404 });
    // Details on their way (just received, or retried): the page refreshes itself, without script,
    // until they are in.
    return ctx.render(lead, lead.details === "pending" ? { headers: { refresh: "3" } } : undefined);
  },
});

export default define.page<Lead | null>(function LeadPage({ data }) {
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
  return <LeadDetail lead={data} />;
});
