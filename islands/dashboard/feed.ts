// The dashboard's connection: the event stream, a 3 s polling fallback, reopening with backoff.

import {
  type Alert,
  CHANGES_PAGE_SIZE,
  type LeadChangesAnswer,
  type LeadRow,
  type StreamReady,
} from "../../lib/wire.ts";

/** What the badge shows. */
export type Connection = "connecting" | "live" | "polling" | "offline";

/** Options of `startFeed`; every interval is in ms. */
export interface FeedOptions {
  /** The change cursor the server rendered the page at. */
  cursor: string;
  /** The server's heartbeat interval; two missed ones count as a dead stream. */
  heartbeatMs: number;
  /** Polling interval while the stream is down. */
  pollMs: number;
  /** Longest wait between attempts to reopen the stream. */
  maxBackoffMs?: number;
  /** False: no previews, each lead only as stored (a search's list asks the store). */
  previews?: boolean;
  /**
   * A new or changed lead, in change order, each change once; or a lead's preview (its answers
   * while their commit runs), which moves no cursor.
   */
  onLead(lead: LeadRow): void;
  /** A lead erased or purged: drop its row (absent: ignored). */
  onRemoved?(id: string): void;
  /** The server's change log no longer reaches our cursor: reload the list. */
  onReset(): void;
  /** The dashboard-wide alerts now (on connect, on every change, and with every poll). */
  onAlerts(alerts: Alert[]): void;
  onConnection(connection: Connection): void;
  /** The browser's clock, network and randomness; tests pass fakes. Default: the browser's own. */
  runtime?: Partial<FeedRuntime>;
}

/** What the feed reads of an event from the stream. */
interface StreamEvent {
  data?: string;
  lastEventId?: string;
}

/** What the feed uses of an EventSource. */
export interface FeedSource {
  addEventListener(type: string, listener: (event: StreamEvent) => void): void;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

/** What the feed takes from the browser. */
export interface FeedRuntime {
  EventSource: new (url: string) => FeedSource;
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** Returns the timer's id, which only clearTimeout reads. */
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** A number in [0, 1): spreads reconnects so many tabs do not retry in step. */
  random(): number;
}

/** A running feed. */
export interface Feed {
  /** Asks the server for the changes after our cursor now (used by Sync). */
  pollNow(): Promise<void>;
  stop(): void;
}

/** After another tab of this sign-in took our stream slot, poll this long before reopening. */
const REPLACED_REOPEN_MS = 60_000;

/** Opens the stream and keeps the dashboard fed whether it works or not. */
export function startFeed(options: FeedOptions): Feed {
  const run: FeedRuntime = {
    EventSource: EventSource as unknown as FeedRuntime["EventSource"],
    // Called through closures: a browser refuses fetch and timers called on another object.
    fetch: (url, init) => fetch(url, init),
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (id) => clearTimeout(id as number),
    random: () => Math.random(),
    ...options.runtime,
  };
  const { setTimeout: later, clearTimeout: cancel } = run;
  let cursor = Number(options.cursor) || 0;
  let source: FeedSource | null = null;
  let connection: Connection | null = null;
  let attempts = 0;
  let polling = false;
  let stopped = false;
  let watchdog: unknown;
  let reopenTimer: unknown;
  let pollTimer: unknown;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;

  function show(next: Connection) {
    if (next === connection) return;
    connection = next;
    options.onConnection(next);
  }

  function apply(seq: number, lead: LeadRow) {
    if (seq <= cursor) return; // already seen through the other path
    cursor = seq;
    options.onLead(lead);
  }

  function remove(seq: number, id: string) {
    if (seq <= cursor) return;
    cursor = seq;
    options.onRemoved?.(id);
  }

  function open() {
    cancel(reopenTimer);
    if (stopped) return;
    const es = new run.EventSource(
      `/api/events?since=${cursor}${options.previews === false ? "&previews=0" : ""}`,
    );
    source = es;
    const alive = () => {
      cancel(watchdog);
      watchdog = later(() => fail(es), options.heartbeatMs * 2 + 1000);
    };
    es.addEventListener("ready", (event) => {
      alive();
      const ready: StreamReady = JSON.parse(event.data!);
      if (Array.isArray(ready.alerts)) options.onAlerts(ready.alerts);
      attempts = 0;
      stopPolling();
      show("live");
    });
    es.addEventListener("lead", (event) => {
      alive();
      apply(Number(event.lastEventId), JSON.parse(event.data!));
    });
    // A lead's answers while their commit runs: no id, so the cursor stays where it was.
    es.addEventListener("lead_preview", (event) => {
      alive();
      options.onLead(JSON.parse(event.data!));
    });
    es.addEventListener("lead_removed", (event) => {
      alive();
      remove(Number(event.lastEventId), JSON.parse(event.data!).id);
    });
    es.addEventListener("reset", (event) => {
      alive();
      cursor = Number(JSON.parse(event.data!).cursor) || 0;
      options.onReset();
    });
    es.addEventListener("alerts", (event) => {
      alive();
      options.onAlerts(JSON.parse(event.data!));
    });
    es.addEventListener("heartbeat", alive);
    // The server is going down: fall back now rather than wait for the connection to drop.
    es.addEventListener("shutdown", () => fail(es));
    // A newer tab of this sign-in took the slot: poll for a while instead of taking it straight
    // back (which would only push out the next tab).
    es.addEventListener("replaced", () => fail(es, REPLACED_REOPEN_MS));
    es.onerror = () => fail(es);
    alive();
  }

  function fail(es: FeedSource, waitMs?: number) {
    if (es !== source || stopped) return;
    es.close();
    source = null;
    cancel(watchdog);
    startPolling();
    const base = waitMs ?? Math.min(1000 * 2 ** attempts, maxBackoffMs);
    attempts++;
    reopenTimer = later(open, base * (0.75 + run.random() * 0.5));
  }

  async function poll(): Promise<void> {
    for (let page = 0; page < 20; page++) {
      const res = await run.fetch(`/api/leads?since=${cursor}`, {
        cache: "no-store",
        headers: { accept: "application/json" },
      });
      if (!res.ok) throw new Error(`Polling failed: the server answered ${res.status}`);
      const answer: LeadChangesAnswer = await res.json();
      if (answer.alerts) options.onAlerts(answer.alerts);
      if (answer.reset) {
        cursor = Number(answer.cursor) || 0;
        options.onReset();
        return;
      }
      // One list in seq order, so the cursor only moves forward.
      const listed = [
        ...answer.changes.map((change) => ({ seq: change.seq, lead: change.lead, id: null })),
        ...(answer.removed ?? []).map((removal) => ({
          seq: removal.seq,
          lead: null,
          id: removal.id,
        })),
      ].sort((a, b) => a.seq - b.seq);
      for (const item of listed) {
        if (item.lead) apply(item.seq, item.lead);
        else remove(item.seq, item.id!);
      }
      cursor = Math.max(cursor, Number(answer.cursor) || 0);
      if (listed.length < CHANGES_PAGE_SIZE) return;
    }
  }

  async function pollLoop() {
    if (!polling) return;
    try {
      await poll();
      if (polling) show("polling");
    } catch {
      if (polling) show("offline");
    }
    if (polling) pollTimer = later(pollLoop, options.pollMs);
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    show("polling");
    pollLoop();
  }

  function stopPolling() {
    polling = false;
    cancel(pollTimer);
  }

  show("connecting");
  open();

  return {
    pollNow: () => poll().catch(() => {}),
    stop() {
      stopped = true;
      stopPolling();
      cancel(watchdog);
      cancel(reopenTimer);
      source?.close();
    },
  };
}
