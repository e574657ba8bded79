// Says when the last sync with Meta ran and what it found, with a progress bar while a sweep runs.

import { useEffect, useState } from "preact/hooks";
import { relativeTime } from "../lib/format/durations.ts";
import type { ReconcileStatus } from "../lib/wire.ts";

/** The JSON of `GET /api/leads/sync` (the parts shown here), and when the server rendered it. */
export interface SyncStatusProps
  extends Pick<ReconcileStatus, "lastResult" | "resumeAt" | "progress"> {
  /** ms since epoch when the server rendered, so "5 min ago" hydrates unchanged. */
  renderedAt: number;
}

const IDLE_MS = 20_000;
const RUNNING_MS = 1_500;

/** Polls `GET /api/leads/sync` (fast while a sweep runs, or just after Sync is pressed). */
export default function SyncStatus(props: SyncStatusProps) {
  const [status, setStatus] = useState<SyncStatusProps>(props);
  const [now, setNow] = useState(props.renderedAt);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let fastUntil = 0;
    async function refresh() {
      let running = false;
      try {
        const res = await fetch("/api/leads/sync", { cache: "no-store" });
        if (res.ok) {
          const next: ReconcileStatus = await res.json();
          setStatus({ ...next, renderedAt: props.renderedAt });
          running = next.progress?.running === true;
        }
      } catch {
        // Offline: the dashboard's badge says so; try again later.
      }
      setNow(Date.now());
      clearTimeout(timer);
      timer = setTimeout(refresh, running || Date.now() < fastUntil ? RUNNING_MS : IDLE_MS);
    }
    // The Sync button lives in the dashboard island: watch for its clicks rather than couple them.
    function onClick(event: Event) {
      if ((event.target as Element | null)?.closest?.('[data-action="sync"]')) {
        fastUntil = Date.now() + 15_000;
        clearTimeout(timer);
        timer = setTimeout(refresh, 300);
      }
    }
    document.addEventListener("click", onClick);
    refresh();
    return () => {
      clearTimeout(timer);
      document.removeEventListener("click", onClick);
    };
  }, []);

  const { lastResult, resumeAt, progress } = status;
  if (progress?.running) {
    const label = progress.backfill ? "Loading past leads from Meta" : "Syncing with Meta";
    return (
      <div class="sync-status" data-sync="running">
        <span>
          {label}: {progress.formsDone} of {progress.formsTotal} forms, {progress.leadsFound}{" "}
          leads found
        </span>
        <progress max={Math.max(progress.formsTotal, 1)} value={progress.formsDone} />
      </div>
    );
  }
  if (!lastResult) {
    return <div class="sync-status muted" data-sync="never">Not synced with Meta yet.</div>;
  }
  const found = lastResult.inserted === 0
    ? "nothing new"
    : `${lastResult.inserted} new lead${lastResult.inserted === 1 ? "" : "s"}`;
  return (
    <div class="sync-status muted" data-sync="done" title={lastResult.error ?? undefined}>
      Last sync with Meta {now ? relativeTime(lastResult.finishedAt, now) : lastResult.finishedAt}:
      {" "}
      {found} ({lastResult.scanned} checked in {lastResult.forms} forms)
      {resumeAt && (
        <span>; paused by Meta, resumes at {new Date(resumeAt).toLocaleTimeString()}</span>
      )}
      {lastResult.error && !resumeAt && <span class="sync-error">; {lastResult.error}</span>}
    </div>
  );
}
