// A new lead's one-line text, for its toast and its desktop notification: apart from the toasts,
// which load with the first one, so the notification needs no more than this.

import { displayName, formLabel } from "../../lib/format/lead_row.ts";
import type { LeadRow } from "../../lib/wire.ts";

/** The text of a lead toast: "New lead: Dana Smith, Spring test drive form". */
export function leadToastText(row: LeadRow | undefined): string {
  if (!row) return "New lead";
  return `New lead: ${displayName(row)}, ${formLabel(row)}`;
}
