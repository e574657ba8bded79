// One lead in full: contact, every answer, where it came from, the raw field_data and its timeline.

import { type Lead, LEAD_STATUSES } from "../lib/leads/model.ts";
import { describeSpeedToLead, speedToLeadMs } from "../lib/leads/speed_to_lead.ts";
import { mailtoHref, telHref } from "../lib/format/contact_links.ts";
import { statusLabel } from "../lib/format/lead_row.ts";
import { LeadWork, type LeadWorkProps } from "./LeadWork.tsx";
import { type Clock, exactTime, formatTime, UTC_CLOCK } from "../lib/format/time.ts";

/** What the lead page shows: the lead with a page of its timeline in `lead.timeline`. */
export interface LeadDetailProps {
  lead: Lead;
  /** Cursor of the events older than the page shown; null when it reaches the first event. */
  timelineBefore?: string | null;
  /** True when the page shown is not the newest one. */
  olderPage?: boolean;
  /** Owner controls, counters and the activity form (absent: not shown). */
  work?: LeadWorkProps;
  /** The reader's zone and locale for every time shown; UTC until the dashboard has told us. */
  clock?: Clock;
  /** The Delete control (admins): a link to the confirmation, or the confirmation itself. */
  erase?: { confirming: boolean } | null;
}

/** Meta's `platform` codes as people say them. */
const PLATFORMS: Record<string, string> = {
  fb: "Facebook",
  ig: "Instagram",
  msg: "Messenger",
  wa: "WhatsApp",
  an: "Audience Network",
};

/** "Instagram" for `ig`; a code we do not know is shown as Meta sent it. */
export function platformLabel(code: string): string {
  return PLATFORMS[code.toLowerCase()] ?? code;
}

/** Server-rendered detail of `lead`; every value is rendered as text. */
export function LeadDetail(
  { lead, timelineBefore = null, olderPage = false, work, clock = UTC_CLOCK, erase = null }:
    LeadDetailProps,
) {
  const leadPath = `/leads/${encodeURIComponent(lead.id)}`;
  // In the reader's zone, with the zone's name; the exact UTC time in the tooltip.
  const when = (iso: string) => (
    <time dateTime={iso} title={exactTime(iso, false)}>{formatTime(iso, clock)}</time>
  );
  const origin: [string, string | null, string | null][] = [
    ["Form", lead.formName, lead.formId],
    ["Ad", lead.adName, lead.adId],
    ["Ad set", lead.adsetName, lead.adsetId],
    ["Campaign", lead.campaignName, lead.campaignId],
    ["Page", null, lead.pageId],
  ];
  return (
    <article class="lead-detail" data-lead-id={lead.id}>
      <p>
        <a href="/">← All leads</a>
      </p>
      <h1>{lead.fullName ?? lead.email ?? lead.phone ?? "Unnamed lead"}</h1>
      <p class="lead-badges">
        <span class={`tag tag-status tag-status-${lead.status}`}>{statusLabel(lead.status)}</span>
        {lead.details === "pending" && (
          <span class="mark mark-pending" data-mark="pending">Details loading from Meta…</span>
        )}
        {lead.details === "failed" && (
          <span class="mark mark-failed" data-mark="failed">
            Details failed{lead.detailsError ? `: ${lead.detailsError}` : ""}
          </span>
        )}
        {lead.answersTruncated && (
          <span class="mark mark-failed" data-mark="truncated">
            Answers shortened to fit storage:{" "}
            {describeTruncation(lead.answersTruncated)}. Meta keeps the full answers (Leads Center,
            and the Graph API for 90 days).
          </span>
        )}
      </p>
      {
        /* One button per status: a plain form, so a rep on a phone without JavaScript can record
        the call; it comes back here (303) with the new status and its timeline line. */
      }
      <form
        class="status-form"
        method="post"
        action={`/api/leads/${encodeURIComponent(lead.id)}/status`}
        id="status"
        data-status-form
      >
        <span class="status-form-label" id="status-form-label">Set status</span>
        <span class="status-buttons" role="group" aria-labelledby="status-form-label">
          {LEAD_STATUSES.map((status) => (
            <button
              key={status}
              type="submit"
              name="status"
              value={status}
              class="button-small status-button"
              aria-pressed={status === lead.status ? "true" : "false"}
            >
              {statusLabel(status)}
            </button>
          ))}
        </span>
      </form>
      <p
        class={`speed-to-lead${speedToLeadMs(lead) === null ? " speed-to-lead-waiting" : ""}`}
        data-speed-to-lead
      >
        {describeSpeedToLead(lead)}
      </p>
      {lead.details === "failed" && (
        // A plain form (not inside the <p>: a form would end it): works without JavaScript and
        // lands back on this page (303), which then refreshes itself until the details are in.
        <form
          class="retry-form"
          method="post"
          action={`/api/leads/${encodeURIComponent(lead.id)}/retry`}
          data-retry
        >
          <button type="submit" class="button-small">Retry fetching details</button>
        </form>
      )}

      <section class="detail-card">
        <h2>Contact</h2>
        <dl class="detail-list">
          <dt>Phone</dt>
          <dd>
            {contact(lead.phone, telHref(lead.phone))}
          </dd>
          <dt>Email</dt>
          <dd>{contact(lead.email, mailtoHref(lead.email))}</dd>
          <dt>Created</dt>
          <dd>
            {when(lead.createdTime)}
            {lead.createdTimeReported && (
              <span class="muted" data-created-reported>
                {` (Meta reported `}
                {when(lead.createdTimeReported)}
                {", in the future: shown as when it was received)"}
              </span>
            )}
          </dd>
          <dt>Received</dt>
          <dd>
            {when(lead.receivedAt)}
          </dd>
          <dt>Source</dt>
          <dd>
            {lead.source === "meta" ? "Meta lead ad" : `Entered by hand (${lead.source})`}
            {lead.platform ? ` · ${platformLabel(lead.platform)}` : ""}
            {lead.isOrganic === true ? " · organic" : ""}
          </dd>
          {lead.notes && (
            <>
              <dt>Notes</dt>
              <dd class="pre-line">{lead.notes}</dd>
            </>
          )}
        </dl>
      </section>

      {/* After the contact card: the number to call is above the form that logs the call. */}
      {work && <LeadWork lead={lead} clock={clock} {...work} />}

      <section class="detail-card">
        <h2>Answers</h2>
        {lead.answers.length === 0
          ? <p class="muted">No answers yet.</p>
          : (
            <dl class="detail-list" data-answers>
              {lead.answers.map((answer, i) => (
                <>
                  <dt key={`q${i}`} title={answer.name}>{questionLabel(answer.name)}</dt>
                  <dd key={`a${i}`}>{answer.values.join(", ")}</dd>
                </>
              ))}
            </dl>
          )}
      </section>

      <section class="detail-card">
        <h2>Ad, campaign and form</h2>
        <dl class="detail-list">
          {origin.map(([label, name, id]) => (
            <>
              <dt key={`l${label}`}>{label}</dt>
              <dd key={`v${label}`}>
                {name ?? (id ? "" : "—")}
                {id && <span class="muted">{name ? " · " : ""}id {id}</span>}
              </dd>
            </>
          ))}
          <dt>Lead id (Meta)</dt>
          <dd>{lead.leadgenId ?? "—"}</dd>
        </dl>
      </section>

      <section class="detail-card">
        <h2>Timeline</h2>
        {(timelineBefore || olderPage) && (
          // Oldest first, so the way back in time is above the list.
          <p class="timeline-pages">
            {timelineBefore && (
              <a
                href={`${leadPath}?before=${encodeURIComponent(timelineBefore)}`}
                data-timeline-older
              >
                ← Older events
              </a>
            )}
            {timelineBefore && olderPage ? " · " : ""}
            {olderPage && <a href={leadPath}>Newest events</a>}
          </p>
        )}
        <ol class="timeline" data-timeline>
          {lead.timeline.map((entry, i) => (
            <li key={i}>
              {when(entry.at)} <span class="timeline-event">{entry.event}</span>
              {entry.detail ? <span class="muted">: {entry.detail}</span> : null}
              {entry.followUpAt
                ? (
                  <>
                    {" "}
                    <span class="muted">· follow up {when(entry.followUpAt)}</span>
                  </>
                )
                : null}
              {entry.by ? <span class="timeline-by">{` · by ${entry.by}`}</span> : null}
            </li>
          ))}
        </ol>
      </section>

      {/* For support and debugging: what Meta sent, closed until asked for. */}
      <details class="detail-card raw-card" data-raw-details>
        <summary>Raw field_data (JSON)</summary>
        <pre class="raw" data-raw>{JSON.stringify(lead.answers, null, 2)}</pre>
      </details>

      {erase && (
        <section class="detail-card erase-card" id="erase" aria-labelledby="erase-title">
          <h2 id="erase-title">Delete lead</h2>
          {erase.confirming
            ? (
              <form method="post" action={leadPath} data-erase-form>
                <p>
                  Delete this lead for good? Its answers, timeline, calls and notes are removed from
                  Leadline and cannot be brought back; only a note that an admin deleted it stays.
                </p>
                <input type="hidden" name="action" value="erase" />
                <button type="submit" class="button button-danger">Delete for good</button>{" "}
                <a href={leadPath}>Cancel</a>
              </form>
            )
            : (
              <p>
                For a request to erase this person's data.{" "}
                <a class="button" href={`${leadPath}?erase=confirm#erase`} data-erase-start>
                  Delete lead…
                </a>
              </p>
            )}
        </section>
      )}
    </article>
  );
}

/** A phone or email: a link only when `href` was built from a valid value, else plain text. */
function contact(text: string | null, href: string | null) {
  if (!text) return "—";
  return href ? <a href={href}>{text}</a> : text;
}

/** "3 answers cut short (1,200 characters left out), 2 answers left out". */
function describeTruncation(cut: NonNullable<Lead["answersTruncated"]>): string {
  const parts = [
    `${cut.values} answer${cut.values === 1 ? "" : "s"} cut short ` +
    `(${cut.characters.toLocaleString("en-US")} characters left out)`,
  ];
  if (cut.answersDropped > 0) {
    parts.push(`${cut.answersDropped} answer${cut.answersDropped === 1 ? "" : "s"} left out`);
  }
  return parts.join(", ");
}

/** A form field's name as a reader would say it: `which_model?` -> "Which model?". */
function questionLabel(name: string): string {
  const spaced = name.replace(/_+/g, " ").trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
