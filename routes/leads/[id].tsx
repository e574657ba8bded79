// One lead's page: every answer, the ad, campaign and form, the raw field_data and the timeline
// (its newest events; `?before=<cursor>` pages back through older ones); its owner controls and
// activity form post here (plain forms, no JavaScript needed); an admin deletes it here, after a
// confirmation step (`?erase=confirm`) that is a page of its own, not a script's dialog.

import { type ActivityDraft, type LeadWorkProps } from "../../components/LeadWork.tsx";
import { LeadDetail } from "../../components/LeadDetail.tsx";
import { listUsers } from "../../lib/auth/users.ts";
import { readForm } from "../../lib/web/body.ts";
import { addLeadActivity, checkActivity } from "../../lib/leads/activities.ts";
import { eraseLead } from "../../lib/leads/erase.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { assignLead, claimLead } from "../../lib/leads/ownership.ts";
import { TimelineCursorError } from "../../lib/leads/timeline.ts";
import { getTeamSettings } from "../../lib/routing/settings.ts";
import { parseLocalDateTime } from "../../lib/time_zone.ts";
import { define, type PageProps, type RouteContext } from "../../lib/app_state.ts";
import { errorAnswer } from "../../lib/web/http_error.ts";
import { isUlid } from "../../lib/ids.ts";
import { type Clock, isTimeZone } from "../../lib/format/time.ts";
import { clockOf } from "../../lib/local_time.ts";

/** What the page renders: the lead, its timeline page in `lead.timeline`, and the older-page cursor. */
interface LeadPageData {
  lead: Lead;
  timelineBefore: string | null;
  /** True when showing an older page than the newest. */
  olderPage: boolean;
  work: LeadWorkProps;
  /** The reader's zone (from the cookie the dashboard sets) and locale, for the times shown. */
  clock: Clock;
  /** Admins only: the Delete control, and whether it asks for confirmation now. */
  erase: { confirming: boolean } | null;
}

export const title = (props: PageProps) => {
  const data = props.data as LeadPageData | null;
  return data ? (data.lead.fullName ?? "Lead") : "Lead not found";
};

/** Lead ids are ULIDs; anything else is the 404 page before it reaches KV. */
export const params = { id: isUlid };

/** What a failed form post shows back on the page. */
type Refusal = Pick<LeadWorkProps, "activityErrors" | "draft" | "ownerError">;

async function pageData(
  ctx: RouteContext<LeadPageData | null>,
  before: string | null,
  refusal: Refusal = {},
): Promise<LeadPageData | null> {
  const { leads, kv } = ctx.state.services;
  let found;
  try {
    found = await leads.getLeadWithTimeline(ctx.params.id, { before });
  } catch (error) {
    if (!(error instanceof TimelineCursorError)) throw error;
    // A hand-edited link: show the newest events rather than an error page.
    before = null;
    found = await leads.getLeadWithTimeline(ctx.params.id);
  }
  if (!found) return null;
  const user = ctx.state.user!;
  const settings = await getTeamSettings(kv);
  const members = user.role === "admin"
    ? (await listUsers(kv)).filter((u) => !u.disabled).map((u) => ({ id: u.id, name: u.name }))
    : [];
  return {
    lead: { ...found.lead, timeline: found.timeline.events },
    timelineBefore: found.timeline.before,
    olderPage: before !== null,
    // The reader's zone once the dashboard has told us; the team's zone until then (UTC unless an
    // admin set one). Every time shown and the follow-up typed are read in this one zone.
    clock: clockOf(ctx.req, settings.timeZone),
    work: {
      viewer: { id: user.id, role: user.role },
      members,
      ...refusal,
    },
    erase: user.role === "admin"
      ? { confirming: ctx.url.searchParams.get("erase") === "confirm" }
      : null,
  };
}

export const handler = define.handlers<LeadPageData | null>({
  async GET(ctx) {
    const data = await pageData(ctx, ctx.url.searchParams.get("before"));
    if (!data) return ctx.render(null, { status: 404 });
    // Details on their way (just received, or retried): the page refreshes itself, without script,
    // until they are in.
    return ctx.render(
      data,
      data.lead.details === "pending" ? { headers: { refresh: "3" } } : undefined,
    );
  },

  /**
   * The page's forms: `action` claim, release, assign (`ownerId`) or activity (`kind`, `outcome`,
   * `text`, `followUpLocal` read in `followUpZone`, the zone the page showed its times in). 303 back here when done; the page with the
   * reason (and what was typed) when refused.
   */
  async POST(ctx) {
    const { leads, kv, log } = ctx.state.services;
    const user = ctx.state.user!;
    const form = await readForm(ctx.req);
    const id = ctx.params.id;
    const refuse = async (status: number, refusal: Refusal) => {
      const data = await pageData(ctx, null, refusal);
      return ctx.render(data, { status: data ? status : 404 });
    };
    if (form.action === "erase") {
      if (user.role !== "admin") {
        return await refuse(403, { ownerError: "Only an admin can delete a lead." });
      }
      const erased = await eraseLead(kv, leads, id, {
        reason: "erasure",
        by: { id: user.id, name: user.name },
        defaultCountry: ctx.state.services.config.defaultPhoneCountry,
      });
      if (erased === null) return ctx.render(null, { status: 404 });
      log.info("lead erased", { requestId: ctx.state.requestId, leadId: id, by: user.id });
      return new Response(null, { status: 303, headers: { location: "/" } });
    }
    try {
      switch (form.action) {
        case "claim":
          await claimLead(leads, id, user);
          break;
        case "release":
          await assignLead({ kv, store: leads }, id, null, user);
          break;
        case "assign":
          await assignLead({ kv, store: leads }, id, form.ownerId || null, user);
          break;
        case "activity": {
          // The zone the form was shown in (its label names it), so what the rep typed means what
          // they read; the page's own zone when the field is missing or not a zone.
          const zone = isTimeZone(form.followUpZone ?? "")
            ? form.followUpZone!
            : clockOf(ctx.req, (await getTeamSettings(kv)).timeZone).timeZone;
          const draft: ActivityDraft = {
            kind: form.kind ?? "",
            outcome: form.outcome ?? "",
            text: form.text ?? "",
            followUpLocal: form.followUpLocal ?? "",
          };
          const local = draft.followUpLocal.trim();
          const followUpMs = local === "" ? null : parseLocalDateTime(local, zone);
          const checked = checkActivity({
            kind: draft.kind,
            outcome: draft.outcome || null,
            text: draft.text,
            followUpAt: followUpMs === null
              ? (local === "" ? null : "not a time")
              : new Date(followUpMs).toISOString(),
          }, new Date());
          if (!checked.ok) {
            if (checked.fields.followUpAt && followUpMs === null) {
              checked.fields.followUpAt = "The follow-up time must be a date and time.";
            }
            return await refuse(400, { activityErrors: checked.fields, draft });
          }
          await addLeadActivity(leads, id, checked.input, user);
          log.info("lead activity logged", {
            requestId: ctx.state.requestId,
            leadId: id,
            kind: checked.input.kind,
            by: user.id,
          });
          break;
        }
        default:
          return await refuse(400, { ownerError: "Unknown action." });
      }
    } catch (error) {
      // A form is answered with its page again and the reason, never a bare JSON error: the status
      // is the API's (errorAnswer, the one mapping); a lead that is gone shows "Lead not found".
      const refused = errorAnswer(error);
      if (refused === null) throw error;
      return await refuse(refused.status, { ownerError: (error as Error).message });
    }
    return new Response(null, {
      status: 303,
      headers: { location: `/leads/${encodeURIComponent(id)}` },
    });
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
      work={data.work}
      clock={data.clock}
      erase={data.erase}
    />
  );
});
