// The list of leads: one row per lead with contact links, form, ad, time, status and details mark.

import { mailtoHref, telHref } from "../../lib/format/contact_links.ts";
import {
  adLabel,
  contactedIn,
  displayName,
  formLabel,
  ownerLabel,
  statusLabel,
  waitClock,
} from "../../lib/format/lead_row.ts";
import { relativeTime } from "../../lib/format/durations.ts";
import { exactTime } from "../../lib/format/time.ts";
import type { ClockThresholds, LeadRow } from "../../lib/wire.ts";

interface Props {
  rows: LeadRow[];
  /** Ids of rows that arrived live a moment ago. */
  fresh: Set<string>;
  /** Ids whose retry request is on its way. */
  retrying: Set<string>;
  /** Ids whose status change is on its way. */
  marking: Set<string>;
  now: number;
  /** True once hydrated: times in the browser's own zone. */
  local: boolean;
  /** The signed-in user's id ("You" as owner). */
  me?: string | null;
  /** When the waiting clock turns amber and red; without them no clock is shown. */
  clock?: ClockThresholds;
  /** Ids whose claim is on its way. */
  claiming?: Set<string>;
  onRetry?(id: string): void;
  onStatus?(id: string, status: string): void;
  onClaim?(id: string): void;
}

/** The rows, newest first. */
export function LeadList(
  { rows, fresh, retrying, marking, claiming, now, local, me, clock, onRetry, onStatus, onClaim }:
    Props,
) {
  return (
    <ul class="lead-list">
      {rows.map((row) => (
        <LeadRowItem
          key={row.id}
          row={row}
          fresh={fresh.has(row.id)}
          retrying={retrying.has(row.id)}
          marking={marking.has(row.id)}
          claiming={claiming?.has(row.id) ?? false}
          now={now}
          local={local}
          me={me}
          clock={clock}
          onRetry={onRetry}
          onStatus={onStatus}
          onClaim={onClaim}
        />
      ))}
    </ul>
  );
}

interface RowProps {
  row: LeadRow;
  fresh: boolean;
  retrying: boolean;
  marking: boolean;
  claiming: boolean;
  now: number;
  local: boolean;
  me?: string | null;
  clock?: ClockThresholds;
  onRetry?(id: string): void;
  onStatus?(id: string, status: string): void;
  onClaim?(id: string): void;
}

function LeadRowItem(
  { row, fresh, retrying, marking, claiming, now, local, me, clock, onRetry, onStatus, onClaim }:
    RowProps,
) {
  const ad = adLabel(row);
  const wait = clock && waitClock(row, now, clock);
  const contacted = clock && !wait ? contactedIn(row) : null;
  const path = `/api/leads/${encodeURIComponent(row.id)}`;
  const due = row.nextFollowUpAt !== null && Date.parse(row.nextFollowUpAt) <= now;
  return (
    <li
      class={`lead-row${fresh ? " lead-row-new" : ""}`}
      data-lead-id={row.id}
      data-details={row.details}
      data-status={row.status}
      data-owner={row.ownerId ?? ""}
    >
      <div class="lead-main">
        <a class="lead-name" href={`/leads/${encodeURIComponent(row.id)}`}>{displayName(row)}</a>
        {/* "Just in", not "New": the status tag beside it already says "New". */}
        {fresh && <span class="tag tag-fresh">Just in</span>}
        <span class={`tag tag-status tag-status-${row.status}`}>{statusLabel(row.status)}</span>
        {row.status === "new" && (
          // A form, so a rep can record the call before (or without) JavaScript; back here by 303.
          <form
            class="status-form-inline"
            method="post"
            action={`${path}/status`}
            onSubmit={onStatus && ((event) => {
              event.preventDefault();
              onStatus(row.id, "contacted");
            })}
          >
            <button
              type="submit"
              name="status"
              value="contacted"
              class="button-small"
              data-action="contacted"
              disabled={marking}
            >
              {marking ? "Saving…" : "Mark contacted"}
            </button>
          </form>
        )}
        {row.status !== "new" && (
          // The button's place is kept (a hidden copy sizes it) so the row does not shrink and
          // the list does not move under the pointer; the next step is on the lead's page.
          <span class="row-action">
            <span class="button button-small row-action-ghost" aria-hidden="true">
              Mark contacted
            </span>
            <a
              class="button button-small"
              href={`/leads/${encodeURIComponent(row.id)}#status`}
              data-action="update-status"
            >
              Update status
            </a>
          </span>
        )}
        {wait && (
          <span class={`lead-clock lead-clock-${wait.level}`} data-clock={wait.level}>
            {wait.text}
          </span>
        )}
        {contacted && <span class="lead-contacted-in" data-contacted-in>{contacted}</span>}
        {row.possibleDuplicateOf && (
          <a
            class="tag tag-duplicate"
            href={`/leads/${encodeURIComponent(row.possibleDuplicateOf)}`}
            data-duplicate={row.possibleDuplicateOf}
          >
            Possible duplicate
          </a>
        )}
      </div>
      <div class="lead-work">
        <span class="lead-owner">Owner: {ownerLabel(row, me)}</span>
        {!row.ownerId && (
          // A form, so claiming works before (or without) JavaScript; back here by 303.
          <form
            class="claim-form-inline"
            method="post"
            action={`${path}/claim`}
            onSubmit={onClaim && ((event) => {
              event.preventDefault();
              onClaim(row.id);
            })}
          >
            <button type="submit" class="button-small" data-action="claim" disabled={claiming}>
              {claiming ? "Claiming…" : "Claim"}
            </button>
          </form>
        )}
        {row.callAttempts > 0 && (
          <span class="lead-calls">
            {row.callAttempts} call{row.callAttempts === 1 ? "" : "s"}
          </span>
        )}
        {row.nextFollowUpAt && (
          <span class={`lead-follow-up${due ? " lead-follow-up-due" : ""}`}>
            {due ? "Follow-up due " : "Follow up "}
            <time dateTime={row.nextFollowUpAt}>{exactTime(row.nextFollowUpAt, local)}</time>
          </span>
        )}
      </div>
      <div class="lead-contact">
        <ContactLink text={row.phone} href={telHref(row.phone)} icon="☎" />
        <ContactLink text={row.email} href={mailtoHref(row.email)} icon="✉" />
      </div>
      <div class="lead-meta">
        <span class="lead-form">{formLabel(row)}</span>
        {ad && <span class="lead-ad">{ad}</span>}
        <time
          class="lead-time"
          dateTime={row.createdTime}
          title={exactTime(row.createdTime, local)}
        >
          {relativeTime(row.createdTime, now)}
        </time>
      </div>
      {row.details === "pending" && (
        <p class="mark mark-pending" data-mark="pending">
          <span aria-hidden="true">⏳</span> Details loading from Meta…
        </p>
      )}
      {row.details === "failed" && (
        <div class="mark mark-failed" data-mark="failed">
          <span>
            <span aria-hidden="true">⚠</span>{" "}
            Details failed{row.detailsError ? `: ${row.detailsError}` : ""}
          </span>
          {onRetry && (
            // A form, so the server-rendered button works before (or without) JavaScript too.
            <form
              class="retry-form-inline"
              method="post"
              action={`${path}/retry`}
              onSubmit={(event) => {
                event.preventDefault();
                onRetry(row.id);
              }}
            >
              <button type="submit" class="button-small" disabled={retrying}>
                {retrying ? "Retrying…" : "Retry"}
              </button>
            </form>
          )}
        </div>
      )}
    </li>
  );
}

/** A phone or email: a link only when `href` was built from a valid value, else plain text. */
function ContactLink(
  { text, href, icon }: { text: string | null; href: string | null; icon: string },
) {
  if (!text) return null;
  const inner = (
    <>
      <span aria-hidden="true">{icon}</span> {text}
    </>
  );
  return href
    ? <a class="contact-link" href={href}>{inner}</a>
    : <span class="contact-link contact-text">{inner}</span>;
}
