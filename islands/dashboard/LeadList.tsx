// The leads as a dense table: one line per lead on wide screens (name, phone, email, status, owner,
// waiting clock, form, campaign, the form's chosen answers, age), cards on phones (the same markup,
// laid out by the stylesheet), with row selection for bulk actions.

import { Component } from "preact";
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

/** A column the table can be sorted by in the browser (the loaded rows). */
export type ColumnKey =
  | "name"
  | "phone"
  | "email"
  | "status"
  | "owner"
  | "form"
  | "campaign"
  | "answers";

/** How the table is sorted: by a column in the browser, or as the server listed it. */
export interface TableSort {
  key: ColumnKey;
  descending: boolean;
}

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
  /** Ids of the selected rows; without it there are no checkboxes. */
  selected?: Set<string>;
  /** The row keyboard navigation is on. */
  focused?: string | null;
  /** The browser-side sort, shown on its column heading. */
  sort?: TableSort | null;
  /** Links for the server's sorts (age, waiting), keeping the filter; absent: plain headings. */
  sortLinks?: { age: string; waiting: string; current: string };
  onRetry?(id: string): void;
  onStatus?(id: string, status: string): void;
  onClaim?(id: string): void;
  onSelect?(id: string, on: boolean): void;
  onSelectAll?(on: boolean): void;
  onSort?(key: ColumnKey): void;
}

const COLUMNS: [ColumnKey | "waiting" | "answers" | "age", string][] = [
  ["name", "Name"],
  ["phone", "Phone"],
  ["email", "Email"],
  ["status", "Status"],
  ["owner", "Owner"],
  ["waiting", "Waiting"],
  ["form", "Form"],
  ["campaign", "Campaign"],
  ["answers", "Answers"],
  ["age", "Age"],
];

/** The table: a heading row (sortable), then one row per lead. */
export function LeadList(props: Props) {
  const { rows, selected, sort, sortLinks } = props;
  const all = selected !== undefined && rows.length > 0 && rows.every((r) => selected.has(r.id));
  return (
    <table class="lead-table">
      <caption class="visually-hidden">
        Leads. Keys: j and k move between rows, Enter opens, c marks contacted, x selects, /
        searches.
      </caption>
      <thead>
        <tr>
          {selected && (
            <th scope="col" class="col-select">
              <input
                type="checkbox"
                aria-label="Select every lead shown"
                checked={all}
                onChange={(e) => props.onSelectAll?.((e.target as HTMLInputElement).checked)}
              />
            </th>
          )}
          {COLUMNS.map(([key, label]) => {
            const server = key === "age" || key === "waiting";
            const serverSort = sortLinks?.current;
            const current = server
              ? (key === "age" && serverSort !== "waiting" && !sort) ||
                (key === "waiting" && serverSort === "waiting" && !sort)
              : sort?.key === key;
            const ariaSort = !current
              ? undefined
              : server
              ? (key === "age"
                ? (serverSort === "created" ? "descending" : "ascending")
                : "descending")
              : sort!.descending
              ? "descending"
              : "ascending";
            return (
              <th key={key} scope="col" class={`col-${key}`} aria-sort={ariaSort}>
                {server && sortLinks
                  ? <a href={key === "age" ? sortLinks.age : sortLinks.waiting}>{label}</a>
                  : !server && props.onSort
                  ? (
                    <button
                      type="button"
                      class="sort-button"
                      onClick={() => props.onSort!(key as ColumnKey)}
                    >
                      {label}
                    </button>
                  )
                  : label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => <LeadRowItem key={row.id} row={row} {...props} />)}
      </tbody>
    </table>
  );
}

/** A row's props: the list's, and its lead. */
export type RowProps = Props & { row: LeadRow };

/**
 * What a row shows besides its lead: its own flags and the time as it reads it (the waiting clock,
 * the age, whether its follow-up is due). The lead's own changes make a new row object.
 */
function looks(props: RowProps): string {
  const { row, now, clock } = props;
  const id = row.id;
  const wait = clock && waitClock(row, now, clock);
  return [
    props.fresh.has(id),
    props.retrying.has(id),
    props.marking.has(id),
    props.claiming?.has(id),
    props.selected?.has(id) ?? "none",
    props.focused === id,
    props.local,
    wait && wait.level + wait.text,
    row.nextFollowUpAt !== null && Date.parse(row.nextFollowUpAt) <= now,
    relativeTime(row.createdTime, now),
  ].join();
}

/**
 * A row is drawn again only when its lead or what it shows changed. The dashboard re-renders on
 * every lead and every second (the clocks), and drawing hundreds of unchanged rows each time (each
 * date formatted in the browser's zone) kept the page's main thread from the next lead (issue 16).
 * The list's handlers are not compared: they read the dashboard's state when called, so an older
 * one does what a newer one would.
 */
class LeadRowItem extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    return rowRedrawn(this.props, next);
  }

  override render(props: RowProps) {
    return leadRow(props);
  }
}

/** Whether a row drawn with `drawn` is drawn again for `next`. */
export function rowRedrawn(drawn: RowProps, next: RowProps): boolean {
  return next.row !== drawn.row || looks(next) !== looks(drawn);
}

function leadRow(props: RowProps) {
  const { row, now, local, me, clock, selected } = props;
  const fresh = props.fresh.has(row.id);
  const marking = props.marking.has(row.id);
  const claiming = props.claiming?.has(row.id) ?? false;
  const wait = clock && waitClock(row, now, clock);
  const contacted = clock && !wait ? contactedIn(row) : null;
  const path = `/api/leads/${encodeURIComponent(row.id)}`;
  const page = `/leads/${encodeURIComponent(row.id)}`;
  const due = row.nextFollowUpAt !== null && Date.parse(row.nextFollowUpAt) <= now;
  const name = displayName(row);
  return (
    <tr
      class={`lead-row${fresh ? " lead-row-new" : ""}${
        props.focused === row.id ? " lead-row-focused" : ""
      }`}
      data-lead-id={row.id}
      data-details={row.details}
      data-status={row.status}
      data-owner={row.ownerId ?? ""}
      tabIndex={-1}
    >
      {selected && (
        <td class="col-select">
          <input
            type="checkbox"
            name="id"
            value={row.id}
            aria-label={`Select ${name}`}
            checked={selected.has(row.id)}
            onChange={(e) => props.onSelect?.(row.id, (e.target as HTMLInputElement).checked)}
          />
        </td>
      )}
      <th scope="row" class="col-name">
        <a class="lead-name" href={page}>{name}</a>
        {/* "Just in", not "New": the status tag beside it already says "New". */}
        {fresh && <span class="tag tag-fresh">Just in</span>}
        {row.possibleDuplicateOf && (
          <a
            class="tag tag-duplicate"
            href={`/leads/${encodeURIComponent(row.possibleDuplicateOf)}`}
            data-duplicate={row.possibleDuplicateOf}
          >
            Possible duplicate
          </a>
        )}
        {row.details === "pending" && (
          <span class="mark mark-pending" data-mark="pending">
            <span aria-hidden="true">⏳</span>{" "}
            <span class="mark-words">Details loading from Meta…</span>
          </span>
        )}
        {row.details === "failed" && (
          <span class="mark mark-failed" data-mark="failed">
            <span>
              <span aria-hidden="true">⚠</span>{" "}
              Details failed{row.detailsError ? `: ${row.detailsError}` : ""}
            </span>
            {props.onRetry && (
              // A form, so the server-rendered button works before (or without) JavaScript too.
              <form
                class="retry-form-inline"
                method="post"
                action={`${path}/retry`}
                onSubmit={(event) => {
                  event.preventDefault();
                  props.onRetry!(row.id);
                }}
              >
                <button type="submit" class="button-small" disabled={props.retrying.has(row.id)}>
                  {props.retrying.has(row.id) ? "Retrying…" : "Retry"}
                </button>
              </form>
            )}
          </span>
        )}
      </th>
      <td class="col-phone lead-contact">
        <ContactLink text={row.phone} href={telHref(row.phone)} icon="☎" call />
      </td>
      <td class="col-email lead-contact">
        <ContactLink text={row.email} href={mailtoHref(row.email)} icon="✉" />
      </td>
      <td class="col-status lead-main">
        <span class={`tag tag-status tag-status-${row.status}`}>{statusLabel(row.status)}</span>
        {row.status === "new"
          ? (
            // A form, so a rep can record the call before (or without) JavaScript; back here by 303.
            <form
              class="status-form-inline"
              method="post"
              action={`${path}/status`}
              onSubmit={props.onStatus && ((event) => {
                event.preventDefault();
                props.onStatus!(row.id, "contacted");
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
          )
          : (
            // The button's place is kept (a hidden copy sizes it) so the row keeps its size and
            // the list does not move under the pointer; the next step is on the lead's page.
            <span class="row-action">
              <span class="button button-small row-action-ghost" aria-hidden="true">
                Mark contacted
              </span>
              <a class="button button-small" href={`${page}#status`} data-action="update-status">
                Update status
              </a>
            </span>
          )}
      </td>
      <td class="col-owner lead-work">
        <span class="lead-owner">
          <span class="visually-hidden">Owner:</span> {ownerLabel(row, me)}
        </span>
        {!row.ownerId && (
          // A form, so claiming works before (or without) JavaScript; back here by 303.
          <form
            class="claim-form-inline"
            method="post"
            action={`${path}/claim`}
            onSubmit={props.onClaim && ((event) => {
              event.preventDefault();
              props.onClaim!(row.id);
            })}
          >
            <button type="submit" class="button-small" data-action="claim" disabled={claiming}>
              {claiming ? "Claiming…" : "Claim"}
            </button>
          </form>
        )}
      </td>
      <td class="col-waiting">
        {wait && (
          <span class={`lead-clock lead-clock-${wait.level}`} data-clock={wait.level}>
            <Worded text={wait.text} word="Waiting " />
          </span>
        )}
        {contacted && (
          <span class="lead-contacted-in" data-contacted-in>
            <Worded text={contacted} word="Contacted in " />
          </span>
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
      </td>
      <td class="col-form lead-form">{formLabel(row)}</td>
      <td class="col-campaign" title={adLabel(row) ?? undefined}>{row.campaignName ?? ""}</td>
      <td class="col-answers">
        {(row.highlights ?? []).map(([question, answer], i) => (
          <span key={i} class="lead-answer" title={`${question}: ${answer}`}>
            <span class="visually-hidden">{question}:</span> {answer}
          </span>
        ))}
      </td>
      <td class="col-age">
        <time
          class="lead-time"
          dateTime={row.createdTime}
          title={exactTime(row.createdTime, local)}
        >
          {relativeTime(row.createdTime, now)}
        </time>
      </td>
    </tr>
  );
}

/**
 * A phone or email: a link only when `href` was built from a valid value, else plain text. A phone
 * link is the card's large call button on a phone.
 */
function ContactLink(
  { text, href, icon, call }: {
    text: string | null;
    href: string | null;
    icon: string;
    call?: boolean;
  },
) {
  if (!text) return null;
  const inner = (
    <>
      <span aria-hidden="true">{icon}</span> {text}
    </>
  );
  return href
    ? <a class={`contact-link${call ? " call-link" : ""}`} href={href}>{inner}</a>
    : <span class="contact-link contact-text">{inner}</span>;
}

/** `text` with its leading `word` in a span the table hides (its column heading says it). */
function Worded({ text, word }: { text: string; word: string }) {
  return text.startsWith(word)
    ? (
      <>
        <span class="clock-word">{word}</span>
        {text.slice(word.length)}
      </>
    )
    : <>{text}</>;
}
