// The list of leads: one row per lead with contact links, form, ad, time, status and details mark.

import {
  adLabel,
  displayName,
  exactTime,
  formLabel,
  type LeadRow,
  mailtoHref,
  relativeTime,
  statusLabel,
  telHref,
} from "./row.ts";

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
  onRetry?(id: string): void;
  onStatus?(id: string, status: string): void;
}

/** The rows, newest first. */
export function LeadList(
  { rows, fresh, retrying, marking, now, local, onRetry, onStatus }: Props,
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
          now={now}
          local={local}
          onRetry={onRetry}
          onStatus={onStatus}
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
  now: number;
  local: boolean;
  onRetry?(id: string): void;
  onStatus?(id: string, status: string): void;
}

function LeadRowItem(
  { row, fresh, retrying, marking, now, local, onRetry, onStatus }: RowProps,
) {
  const ad = adLabel(row);
  return (
    <li
      class={`lead-row${fresh ? " lead-row-new" : ""}`}
      data-lead-id={row.id}
      data-details={row.details}
      data-status={row.status}
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
            action={`/api/leads/${encodeURIComponent(row.id)}/status`}
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
              action={`/api/leads/${encodeURIComponent(row.id)}/retry`}
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
