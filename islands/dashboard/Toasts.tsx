// The toast stack: one per new lead or sync result, in an aria-live region, dismissible.

import type { Signal } from "@preact/signals";
import { displayName, formLabel, type LeadRow } from "./row.ts";

/** One toast: about a lead (its text follows the lead as details fill in) or a plain message. */
export interface Toast {
  key: number;
  leadId?: string;
  text?: string;
  tone?: "info" | "error";
}

interface Props {
  toasts: Signal<Toast[]>;
  rows: Signal<LeadRow[]>;
  dismiss(key: number): void;
  /** Claims the toast's lead (shown while nobody owns it). */
  onClaim?(leadId: string): void;
}

/** The text of a lead toast: "New lead: Dana Smith, Spring test drive form". */
export function leadToastText(row: LeadRow | undefined): string {
  if (!row) return "New lead";
  return `New lead: ${displayName(row)}, ${formLabel(row)}`;
}

/** Renders the stack, newest on top; the region exists from the start so screen readers hear it. */
export function Toasts({ toasts, rows, dismiss, onClaim }: Props) {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((toast) => {
        const row = toast.leadId ? rows.value.find((r) => r.id === toast.leadId) : undefined;
        return (
          <div key={toast.key} class={`toast toast-${toast.tone ?? "info"}`} data-toast>
            {toast.leadId
              ? (
                <a class="toast-text" href={`/leads/${encodeURIComponent(toast.leadId)}`}>
                  {leadToastText(row)}
                </a>
              )
              : <span class="toast-text">{toast.text}</span>}
            {toast.leadId && row && !row.ownerId && onClaim && (
              <button
                type="button"
                class="button-small"
                data-action="claim"
                onClick={() => onClaim(toast.leadId!)}
              >
                Claim
              </button>
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
        );
      })}
    </div>
  );
}
