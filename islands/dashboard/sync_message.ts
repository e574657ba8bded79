// What the Sync button says about the server's answer: honest about a request that did not look.

import type { SyncResult } from "../../lib/wire.ts";

/**
 * `POST /api/leads/sync`'s answer as the message reads it; a request that failed has only `error`.
 * Ages are counted from `checkedAt`, the server's time, not from the browser's clock.
 */
export type SyncAnswer = Partial<SyncResult>;

/** A toast's text and tone. */
export interface SyncMessage {
  text: string;
  tone: "info" | "error";
}

/** "12 s", "3 min", "2 h": a short duration, never below 1 s (for "in 0 s"). */
export function shortDuration(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  // Up to 90 s in seconds: the default interval (60 s) reads "in 60 s", not "in 1 min".
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}

/**
 * The message of a manual Sync. "Up to date" only when a sweep ran now and found nothing: a
 * request the server's rate limit turned away looked at nothing, so it says when the last sweep
 * ran and when the next one can.
 */
export function syncMessage(answer: SyncAnswer): SyncMessage {
  if (answer.error) return { text: `Sync failed: ${answer.error}`, tone: "error" };
  if (!answer.skipped) {
    const n = answer.inserted ?? 0;
    if (n === 0) return { text: "Up to date: Meta has no leads we were missing.", tone: "info" };
    return { text: `${n} new lead${n === 1 ? "" : "s"} from Meta`, tone: "info" };
  }
  const at = answer.checkedAt ? Date.parse(answer.checkedAt) : Date.now();
  const next = answer.nextAllowedAt ? Date.parse(answer.nextAllowedAt) : null;
  const when = next === null ? "" : `next sync possible in ${shortDuration(next - at)}`;
  if (answer.skipReason === "paused") {
    return {
      text: `Not synced: Meta asked us to slow down; ${when || "syncing resumes soon"}.`,
      tone: "info",
    };
  }
  if (answer.skipReason === "running") {
    return {
      text: "Not synced now: a sync is already running; its leads appear as it finds them.",
      tone: "info",
    };
  }
  const last = answer.lastFinishedAt
    ? `Last synced ${shortDuration(at - Date.parse(answer.lastFinishedAt))} ago`
    : "Not synced yet";
  return { text: `${last}; ${when || "next sync possible soon"}.`, tone: "info" };
}
