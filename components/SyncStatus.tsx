// Says when the last sync with Meta ran and what it found, with a progress bar while a sweep runs.
// Server-rendered on the dashboard and again as a live fragment (lib/web/fragments.ts): every 20 s,
// every 1.5 s while a sweep runs, and for 15 s after the dashboard's Sync button is pressed.

import { relativeTime } from "../lib/format/durations.ts";
import { type Clock, formatTimeOfDay } from "../lib/format/time.ts";
import type { ReconcileStatus } from "../lib/wire.ts";
import { liveAttributes } from "../lib/web/fragments.ts";

/** Where the line is fetched again: routes/fragments/sync-status.ts. */
export const SYNC_STATUS_FRAGMENT = "/fragments/sync-status";

const IDLE_MS = 20_000;
const RUNNING_MS = 1_500;
/** How long the line follows a sweep closely after the Sync button (which is in another island). */
const AFTER_SYNC_BUTTON_MS = 15_000;

/** Where reconciliation stands (`reconciler.status()`), and the reader's time. */
export interface SyncStatusProps {
  status: Pick<ReconcileStatus, "lastResult" | "resumeAt" | "progress">;
  /** ms since epoch, for "5 min ago". */
  now: number;
  /** The reader's zone and locale (lib/local_time.ts), for the time a pause ends. */
  clock: Clock;
}

/** The line, refreshed in place by islands/LiveFragments.tsx (which the page renders). */
export function SyncStatus(
  { status: { lastResult, resumeAt, progress }, now, clock }: SyncStatusProps,
) {
  const running = progress?.running === true;
  const live = liveAttributes({
    src: SYNC_STATUS_FRAGMENT,
    everyMs: running ? RUNNING_MS : IDLE_MS,
    boost: { selector: '[data-action="sync"]', everyMs: RUNNING_MS, forMs: AFTER_SYNC_BUTTON_MS },
  });
  if (progress?.running) {
    const label = progress.backfill ? "Loading past leads from Meta" : "Syncing with Meta";
    return (
      <div class="sync-status" data-sync="running" {...live}>
        <span>
          {label}: {progress.formsDone} of {progress.formsTotal} forms, {progress.leadsFound}{" "}
          leads found
        </span>
        <progress max={Math.max(progress.formsTotal, 1)} value={progress.formsDone} />
      </div>
    );
  }
  if (!lastResult) {
    return (
      <div class="sync-status muted" data-sync="never" {...live}>Not synced with Meta yet.</div>
    );
  }
  const found = lastResult.inserted === 0
    ? "nothing new"
    : `${lastResult.inserted} new lead${lastResult.inserted === 1 ? "" : "s"}`;
  return (
    <div class="sync-status muted" data-sync="done" title={lastResult.error ?? undefined} {...live}>
      Last sync with Meta {relativeTime(lastResult.finishedAt, now)}: {found} ({lastResult.scanned}
      {" "}
      checked in {lastResult.forms} forms)
      {resumeAt && <span>; paused by Meta, resumes at {formatTimeOfDay(resumeAt, clock)}</span>}
      {lastResult.error && !resumeAt && <span class="sync-error">; {lastResult.error}</span>}
    </div>
  );
}
