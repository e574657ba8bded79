// The toast area: new leads grouped into one toast ("5 new leads"), and sync or error messages.

import type { Signal } from "./signal.ts";
import { Fragment } from "preact";
// For its place in the build only: with it the toasts, like every other part that renders with
// Preact, load its hooks too (already loaded by then), so the bundler keeps Preact and its hooks in
// one chunk and the dashboard loads one file less: about 170 B gzip (issue 16).
import "preact/hooks";
import type { LeadRow } from "../../lib/wire.ts";

/** One toast: about new leads (their names follow as details fill in) or a plain message. */
export interface Toast {
  key: number;
  /** New leads, newest first: a burst shares one toast rather than stacking one per lead. */
  leadIds?: string[];
  text?: string;
  tone?: "info" | "error";
}

/**
 * How leads are named, from the dashboard (which formats rows anyway), so this part carries no
 * formatting code of its own: a lead's toast text (toast_text.ts) and its display name.
 */
export interface LeadNaming {
  text(row: LeadRow | undefined): string;
  name(row: LeadRow): string;
}

interface Props extends LeadNaming {
  toasts: Signal<Toast[]>;
  rows: Signal<LeadRow[]>;
  dismiss(key: number): void;
  /** Claims a toast's lead (offered while one of its leads has no owner). */
  onClaim?(leadId: string): void;
}

/** Names a grouped toast lists before "and N more". */
const NAMED = 3;

/** A short name for a list of leads: the person, or what is known while details load. */
function shortName(row: LeadRow | undefined): string {
  if (!row) return "a lead";
  return row.fullName ?? row.email ?? row.phone ??
    (row.details === "pending" ? "details loading" : "unnamed lead");
}

/**
 * The text of a grouped toast: "5 new leads: Dana Smith, Liam Brown, Ava Kim and 2 more" (one
 * lead reads as its own toast text).
 */
export function leadGroupText(rows: (LeadRow | undefined)[], naming: LeadNaming): string {
  if (rows.length === 1) return naming.text(rows[0]);
  const names = rows.slice(0, NAMED).map(shortName);
  const more = rows.length - names.length;
  return `${rows.length} new leads: ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function LeadToastBody(
  { ids, rows, naming }: { ids: string[]; rows: LeadRow[]; naming: LeadNaming },
) {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const href = (id: string) => `/leads/${encodeURIComponent(id)}`;
  if (ids.length === 1) {
    return <a class="toast-text" href={href(ids[0])}>{naming.text(byId.get(ids[0]))}</a>;
  }
  const named = ids.slice(0, NAMED);
  const more = ids.length - named.length;
  // Each name opens its lead; the rest are at the top of the list, marked "Just in".
  return (
    <span class="toast-text" aria-label={leadGroupText(ids.map((id) => byId.get(id)), naming)}>
      <strong>{ids.length} new leads</strong>: {named.map((id, i) => (
        <Fragment key={id}>
          {i > 0 && ", "}
          <a class="toast-link" href={href(id)}>{shortName(byId.get(id))}</a>
        </Fragment>
      ))}
      {more > 0 && ` and ${more} more`}
    </span>
  );
}

/**
 * The lead a toast's Claim button takes: its one lead, or of a burst the one nobody owns that has
 * waited longest (speed to lead: the oldest first); undefined when every one has an owner.
 */
export function claimTarget(ids: string[], rows: LeadRow[]): LeadRow | undefined {
  const byId = new Map(rows.map((row) => [row.id, row]));
  // `ids` is newest first.
  for (let i = ids.length - 1; i >= 0; i--) {
    const row = byId.get(ids[i]);
    if (row && !row.ownerId) return row;
  }
  return undefined;
}

function ClaimButton({ ids, rows, onClaim, name }: {
  ids: string[];
  rows: LeadRow[];
  onClaim(leadId: string): void;
  name: LeadNaming["name"];
}) {
  const target = claimTarget(ids, rows);
  if (!target) return null;
  // One button per toast, so a burst's toast stays two lines high, clear of the rows below; a
  // burst's button names the lead it takes, and each row keeps its own Claim.
  const label = ids.length === 1
    ? `Claim ${name(target)}`
    : `Claim next: ${shortName(target)}, waiting longest of these`;
  return (
    <button
      type="button"
      class="button-small toast-claim"
      data-action="claim"
      data-claim-lead={target.id}
      aria-label={label}
      title={label}
      onClick={() => onClaim(target.id)}
    >
      {ids.length === 1 ? "Claim" : "Claim next"}
    </button>
  );
}

/**
 * The toasts, newest on top, for the region LeadDashboard renders from the start (so screen
 * readers hear it) between the toolbar and the list (see styles.css), so they never cover a row's
 * buttons; this part loads with the first toast. A lead toast offers Claim while one of its leads
 * has no owner.
 */
export function ToastList({ toasts, rows, dismiss, onClaim, text, name }: Props) {
  return (
    <>
      {toasts.value.map((toast) => (
        <div
          key={toast.key}
          class={`toast toast-${toast.tone ?? "info"}`}
          data-toast
          data-leads={toast.leadIds?.length}
        >
          {toast.leadIds
            ? <LeadToastBody ids={toast.leadIds} rows={rows.value} naming={{ text, name }} />
            : <span class="toast-text">{toast.text}</span>}
          {toast.leadIds && onClaim && (
            <ClaimButton ids={toast.leadIds} rows={rows.value} onClaim={onClaim} name={name} />
          )}
          <button
            type="button"
            class="toast-close"
            aria-label="Dismiss"
            onClick={() => dismiss(toast.key)}
          >
            ×
          </button>
        </div>
      ))}
    </>
  );
}
