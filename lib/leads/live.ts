// The live hub: one kv.watch per process on the change and alert heads, fanned out to subscribers.

import { alertsHeadKey, createAlertStore } from "../alerts.ts";
import type { Alert } from "../wire.ts";
import { DomainError } from "../errors.ts";
import { observeSince, storedToPushed } from "../metrics/app_metrics.ts";
import type { DetailsInFlight } from "./details_in_flight.ts";
import { leadChangesHeadKey } from "./keys.ts";
import { type Lead, toLeadJson } from "./model.ts";
import { lastListedSeq, type LeadChange, type LeadChangesPage, type LeadRemoval } from "./store.ts";

/** What the hub needs from the lead store: the change log. */
export interface LeadChangeReader {
  listChangesSince(seq: number, limit?: number): Promise<LeadChangesPage>;
  getChangeHead(): Promise<number>;
}

/** What the hub needs to read dashboard-wide alerts (default: the alert store over its KV). */
export interface AlertReader {
  listAlerts(): Promise<Alert[]>;
}

/**
 * What a subscriber receives: a change, or a reset when the change log no longer reaches back to
 * its cursor (records expired), so it must reload its list in full; `head` is its new cursor; or
 * the whole alert list after an alert was raised or cleared (it carries no cursor); or a lead's
 * preview (see LiveHub.preview; listeners only, no cursor), with its `toLeadJson` encoded.
 */
export type LiveEvent =
  | { type: "change"; change: LeadChange }
  | { type: "removed"; removal: LeadRemoval }
  | { type: "reset"; head: number }
  | { type: "alerts"; alerts: Alert[] }
  | { type: "preview"; lead: Lead; json: string };

/**
 * Why a subscription ended: closed by its caller, dropped as stalled (its buffer filled), the hub
 * stopped, its owner's session ended (`revoked`), or the same owner opened one stream too many
 * (`replaced`: the owner's oldest stream makes way).
 */
export type LiveCloseReason = "closed" | "overflow" | "shutdown" | "revoked" | "replaced";

/** Options of `createLiveHub`. */
export interface LiveHubOptions {
  /** Live events buffered per subscriber before it is dropped as stalled (default 2,000). */
  bufferSize?: number;
  /** Open subscriptions allowed at once (default 1,000); `subscribe` throws LiveHubFullError past it. */
  maxSubscribers?: number;
  /** Changes read per store call while catching up (default 500). */
  pageSize?: number;
  /** Called when the watch loop fails; the hub restarts the watch after `retryMs`. */
  onError?: (error: unknown) => void;
  /** Wait before re-opening a failed watch (default 1,000 ms). */
  retryMs?: number;
  /** Where alerts are read when `["alerts_head"]` changes (default the alert store over `kv`). */
  alerts?: AlertReader;
  /**
   * Open subscriptions one owner (e.g. a sign-in session) may hold (default 5): one more closes
   * that owner's oldest with reason "replaced", so one owner cannot take every slot.
   */
  maxPerOwner?: number;
  /**
   * Of these owners, the ones that have ended (signed out, expired, user disabled or removed);
   * their subscriptions close with reason "revoked". Called when `revocationKey` changes and
   * every `recheckMs`. Without it owners are never checked.
   */
  checkOwners?: (owners: string[]) => Promise<Iterable<string>>;
  /**
   * A KV key written in the same commit as every revocation, watched with the change head: every
   * instance sharing the KV (Deno Deploy) sees it through its own watch and checks its owners at
   * once, before fanning out any change committed after the revocation.
   */
  revocationKey?: Deno.KvKey;
  /** How often every owner is checked again (default 30,000 ms), for sessions that just expire. */
  recheckMs?: number;
  /**
   * The details fetches running in this process: a new Meta lead whose answers are being fetched
   * here is held back up to `holdMs` (default 25), so that when Meta answers quickly every
   * dashboard gets the lead once, with its name, instead of a stub and then the name a moment
   * later (two renders on every screen, two writes to every stream). Not held when recent
   * fetches took longer than `holdMs`.
   */
  detailsInFlight?: DetailsInFlight;
  /** The longest a new lead is held back for its answers (default 25 ms; 0: never). */
  holdMs?: number;
}

/** Options of `LiveHub.subscribe`. */
export interface SubscribeOptions {
  /**
   * Deliver every change after this seq (catching up from the store); null or absent: from now.
   * A seq past the store's head (a restored backup, another store) gets a reset first.
   */
  since?: number | null;
  /** Who holds it (a session); counted against `maxPerOwner` and checked with `checkOwners`. */
  owner?: string;
  /** Called once when the subscription ends, with why (also after `close()`). */
  onClose?: (reason: LiveCloseReason) => void;
  /** False: no previews (see LiveHub.preview), every change as stored. Default true. */
  previews?: boolean;
}

/**
 * One subscriber's view of the hub: pull events in order with `next`, or have them pushed with
 * `listen` (one or the other).
 */
export interface LiveSubscription {
  /** The seq of the last change handed out (or the starting point). */
  readonly cursor: number;
  /** Why it ended, or null while open. */
  readonly closedReason: LiveCloseReason | null;
  /**
   * The next event in seq order; `"idle"` when nothing came within `idleMs` (time for a heartbeat);
   * null once the subscription has ended (closed, dropped as stalled, or the hub stopped).
   */
  next(idleMs?: number): Promise<LiveEvent | "idle" | null>;
  /**
   * Hands every event, in the order `next` would give them, to `deliver` instead: first what the
   * store holds after the cursor (read page by page), then each event the moment the hub fans it
   * out, in the same call for every subscriber and with the same event object, so a consumer can
   * encode an event once for all of them. No promise or timer per event. `deliver` returns false
   * when its consumer cannot take more (e.g. a client that stopped reading): the subscription
   * then ends as "overflow". Resolves once the subscriber has caught up with the hub (or ended).
   */
  listen(deliver: (event: LiveEvent) => boolean): Promise<void>;
  /** Ends the subscription (reason "closed"); idempotent. */
  close(): void;
}

/** The hub: one watch, many subscribers. */
export interface LiveHub {
  /** Starts the watch; resolves once the hub knows the current head. Idempotent. */
  start(): Promise<void>;
  /** Cancels the watch and ends every subscription with reason "shutdown". Idempotent. */
  stop(): Promise<void>;
  /** Adds a subscriber; starts the hub when it is not running. Throws LiveHubFullError when full. */
  subscribe(options?: SubscribeOptions): Promise<LiveSubscription>;
  /** Open subscriptions. */
  readonly size: number;
  /** The newest seq fanned out so far. */
  readonly head: number;
  /** The alert list as of the last change the hub saw (a new stream's first paint of alerts). */
  readonly alerts: Alert[];
  /**
   * Hands `lead`, as a commit in this process is storing it, to every listener that has caught
   * up and takes previews, at once (a new Meta lead's answers: the name reaches the screens while
   * its commit runs, one fsync sooner). It moves no cursor. When the change that commit makes comes through the
   * watch and says the same (or is older: the stub before it), the listeners that had the preview
   * are not sent it again; any other change goes to everyone. Should the commit never succeed,
   * the preview stays on those screens until their list is next read from the store (the
   * dashboard's resync): the lead itself was stored before its answers were read.
   */
  preview(lead: Lead): void;
}

/** How long a preview is remembered, waiting for the change that stores it. */
const PREVIEW_KEEP_MS = 60_000;
/** The most previews remembered at once (the oldest makes way). */
const PREVIEWS_MAX = 1_000;

/** A lead shown to listeners before its commit: what they were shown, and which listened then. */
interface Preview {
  json: string;
  updatedAt: string;
  /** Listeners that started listening at or before this count had it. */
  listeners: number;
  at: number;
}

/** Seconds a stream refused by a full or stopping hub is asked to wait before it tries again. */
export const LIVE_RETRY_AFTER_SECONDS = 5;

/** `subscribe` was called with every slot taken; the caller should retry later. */
export class LiveHubFullError extends DomainError {
  /** Make the error; `max` is the cap that was hit. */
  constructor(readonly max: number) {
    super("unavailable", `Cannot open a live stream: all ${max} slots are taken`, {
      retryAfterSeconds: LIVE_RETRY_AFTER_SECONDS,
    });
  }
}

/** `subscribe` was called after `stop`. */
export class LiveHubStoppedError extends DomainError {
  /** Make the error. */
  constructor() {
    super("unavailable", "Cannot open a live stream: the server is shutting down", {
      retryAfterSeconds: LIVE_RETRY_AFTER_SECONDS,
    });
  }
}

interface Subscriber {
  queue: LiveEvent[];
  wake: (() => void) | null;
  owner: string | undefined;
  /** A reset to hand out before anything else: the cursor is past the store's head. */
  rewindTo: number | null;
  /** A listener that has caught up: the fan-out hands it each event at once, with no queue. */
  offer: ((event: LiveEvent) => void) | null;
  /** A listener's way to take what waits (a reset after a rewind); null without one. */
  flush: (() => void) | null;
  /** When it started listening, caught up (the hub's count of such starts); 0 before. */
  listening: number;
  /** Whether it takes previews. */
  previews: boolean;
  close(reason: LiveCloseReason): void;
}

/**
 * Make the hub over `kv` (one watch on `["lead_changes_head"]` and `["alerts_head"]`) and the
 * store's change log. The watch loop reads each new batch of changes once and pushes it to every
 * subscriber's bounded queue, which never blocks: a subscriber whose queue is full is dropped and
 * resumes by cursor. When the alert head moves, it reads the alert list once and pushes that too.
 */
export function createLiveHub(
  kv: Deno.Kv,
  store: LeadChangeReader,
  options: LiveHubOptions = {},
): LiveHub {
  const bufferSize = options.bufferSize ?? 2000;
  const maxSubscribers = options.maxSubscribers ?? 1000;
  const pageSize = options.pageSize ?? 500;
  const retryMs = options.retryMs ?? 1000;
  const maxPerOwner = options.maxPerOwner ?? 5;
  const recheckMs = options.recheckMs ?? 30_000;
  const holdMs = options.holdMs ?? 25;
  const revocationKey = options.checkOwners ? options.revocationKey : undefined;
  const alertReader = options.alerts ?? createAlertStore(kv);
  const subscribers = new Set<Subscriber>();
  let head = 0;
  let started: Promise<void> | null = null;
  let stopped = false;
  let knowsHead = false;
  let alerts: Alert[] = [];
  // The alert head's versionstamp last read; undefined until the first watch value.
  let alertsStamp: string | null | undefined;
  let watchReader: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]> | null = null;
  let loop: Promise<void> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let wakeRetry: (() => void) | null = null;
  // The revocation key's versionstamp last acted on; undefined until the first watch value.
  let revocationStamp: string | null | undefined;
  let recheckTimer: ReturnType<typeof setInterval> | undefined;
  let rechecking: Promise<void> | null = null;
  // Previews by lead id, oldest first, and the count of listeners that ever caught up.
  const previews = new Map<string, Preview>();
  let listenStarts = 0;

  /** Hands `event` to every subscriber, but to none that `alreadyHas`. */
  function fanOut(event: LiveEvent, alreadyHas?: (sub: Subscriber) => boolean) {
    for (const sub of subscribers) {
      if (alreadyHas?.(sub)) continue;
      if (sub.offer) {
        sub.offer(event);
        continue;
      }
      if (event.type === "alerts") {
        // Only the newest list matters: it replaces one still waiting, so alerts never overflow.
        const waiting = sub.queue.findIndex((queued) => queued.type === "alerts");
        if (waiting >= 0) sub.queue.splice(waiting, 1);
      }
      if (sub.queue.length >= bufferSize) {
        sub.close("overflow");
        continue;
      }
      sub.queue.push(event);
      sub.wake?.();
    }
  }

  function preview(lead: Lead) {
    if (stopped || subscribers.size === 0) return;
    const json = JSON.stringify(toLeadJson(lead));
    if (previews.get(lead.id)?.json === json) return;
    const at = Date.now();
    previews.delete(lead.id);
    for (const [id, old] of previews) {
      if (previews.size < PREVIEWS_MAX && at - old.at < PREVIEW_KEEP_MS) break;
      previews.delete(id);
    }
    previews.set(lead.id, { json, updatedAt: lead.updatedAt, listeners: listenStarts, at });
    const event: LiveEvent = { type: "preview", lead, json };
    for (const sub of subscribers) if (sub.previews) sub.offer?.(event);
  }

  /**
   * For a change of a previewed lead: the listeners that need not get it (they had the preview,
   * and the change says the same or is older), or undefined when everyone gets it. A change that
   * is not older ends the preview.
   */
  function coveredByPreview(event: LiveEvent): ((sub: Subscriber) => boolean) | undefined {
    if (previews.size === 0) return undefined;
    const id = event.type === "change"
      ? event.change.lead.id
      : event.type === "removed"
      ? event.removal.leadId
      : null;
    const shown = id === null ? undefined : previews.get(id);
    if (id === null || !shown) return undefined;
    if (event.type !== "change") {
      previews.delete(id);
      return undefined;
    }
    const lead = event.change.lead;
    const same = JSON.stringify(toLeadJson(lead)) === shown.json;
    // The stub, sent after the preview (its hold ran out before the answers' commit).
    const older = !same && lead.details === "pending" && lead.updatedAt <= shown.updatedAt;
    if (!older) previews.delete(id);
    if (!same && !older) return undefined;
    return (sub) => sub.previews && sub.listening > 0 && sub.listening <= shown.listeners;
  }

  // Reads the alert list when the alert head moved since the last read; runs in the watch loop.
  async function refreshAlerts(entry: Deno.KvEntryMaybe<unknown>) {
    if (entry.versionstamp === alertsStamp) return;
    const first = alertsStamp === undefined;
    alertsStamp = entry.versionstamp;
    alerts = await alertReader.listAlerts();
    if (!first) fanOut({ type: "alerts", alerts });
  }

  // Closes the subscriptions of owners that have ended. One check at a time: a revocation that
  // arrives during a periodic check waits for it, then checks again.
  function recheckOwners(): Promise<void> {
    const run = async () => {
      const owners = new Set<string>();
      for (const sub of subscribers) if (sub.owner !== undefined) owners.add(sub.owner);
      if (owners.size === 0 || !options.checkOwners) return;
      const ended = new Set(await options.checkOwners([...owners]));
      for (const sub of [...subscribers]) {
        if (sub.owner !== undefined && ended.has(sub.owner)) sub.close("revoked");
      }
    };
    const next = (rechecking ?? Promise.resolve()).catch(() => {}).then(run);
    rechecking = next;
    next.finally(() => {
      if (rechecking === next) rechecking = null;
    }).catch(() => {});
    return next;
  }

  // Runs in the watch loop before the changes are pumped, so no change committed after a
  // revocation reaches a stream of the revoked owner. The stamp moves only once the check is done:
  // a failed check is repeated when the watch restarts.
  async function refreshRevocations(entry: Deno.KvEntryMaybe<unknown> | undefined) {
    if (entry === undefined || entry.versionstamp === revocationStamp) return;
    if (revocationStamp !== undefined) await recheckOwners();
    revocationStamp = entry.versionstamp;
  }

  // The store's head went back (a backup restored under a running server): every cursor is now
  // in the store's future, so every subscriber reloads.
  function rewind(kvHead: number) {
    head = kvHead;
    for (const sub of [...subscribers]) {
      sub.queue.length = 0;
      sub.rewindTo = kvHead;
      sub.wake?.();
      sub.flush?.();
    }
  }

  // Waits (once per lead) for the running details fetches of the new stubs in `page`; true when
  // it waited, so the page is read again with what the fetches stored.
  async function waitForDetails(page: LeadChangesPage, waited: Set<string>): Promise<boolean> {
    const inFlight = options.detailsInFlight;
    if (!inFlight || holdMs <= 0 || subscribers.size === 0) return false;
    const ids = page.changes
      .filter((c) => c.lead.details === "pending" && !waited.has(c.lead.id))
      .map((c) => c.lead.id);
    if (ids.length === 0) return false;
    for (const id of ids) waited.add(id);
    return await inFlight.settled(ids, holdMs);
  }

  // Reads every change after `head` once and fans it out; runs only inside the watch loop.
  async function pump(kvHead: number) {
    const waited = new Set<string>();
    while (head < kvHead && !stopped) {
      const page = await store.listChangesSince(head, pageSize);
      if (page.gap) {
        head = page.head;
        fanOut({ type: "reset", head });
        return;
      }
      if (await waitForDetails(page, waited)) continue;
      for (const event of liveEventsOf(page)) fanOut(event, coveredByPreview(event));
      if (subscribers.size > 0) {
        for (const c of page.changes) observeSince(storedToPushed, c.at);
      }
      const last = lastListedSeq(page);
      head = last !== undefined && last < page.head ? last : page.head;
      kvHead = Math.max(kvHead, page.head);
    }
  }

  async function watchOnce(ready: () => void) {
    const keys = [leadChangesHeadKey(), alertsHeadKey()];
    if (revocationKey) keys.push(revocationKey);
    const reader = kv.watch(keys).getReader();
    watchReader = reader;
    try {
      while (!stopped) {
        const { done, value } = await reader.read();
        if (done || stopped) break;
        const kvHead = typeof value[0].value === "number" ? value[0].value : 0;
        await refreshRevocations(value[2]);
        await refreshAlerts(value[1]);
        if (!knowsHead) {
          // A fresh hub starts at the head; after a watch restart it catches up what it missed.
          knowsHead = true;
          head = kvHead;
          ready();
        } else if (kvHead < head) {
          // Usually a late notification: pump reads the store's head, which may run ahead of
          // the watch. Only the store itself can say the head really went back.
          const storeHead = await store.getChangeHead();
          if (storeHead < head) rewind(storeHead);
        }
        await pump(kvHead);
      }
    } finally {
      watchReader = null;
      reader.releaseLock();
    }
  }

  async function runLoop(ready: () => void) {
    while (!stopped) {
      try {
        await watchOnce(ready);
      } catch (error) {
        if (stopped) break;
        options.onError?.(error);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wakeRetry = resolve;
        retryTimer = setTimeout(resolve, retryMs);
      });
      wakeRetry = null;
    }
  }

  function start(): Promise<void> {
    if (stopped) return Promise.reject(new LiveHubStoppedError());
    if (started) return started;
    const { promise, resolve } = Promise.withResolvers<void>();
    started = promise;
    loop = runLoop(resolve);
    if (options.checkOwners) {
      recheckTimer = setInterval(() => {
        if (!rechecking) recheckOwners().catch((error) => options.onError?.(error));
      }, recheckMs);
    }
    // A stop before the first watch value must not leave start() hanging.
    loop.finally(resolve);
    return promise;
  }

  async function stop() {
    if (stopped) return;
    stopped = true;
    previews.clear();
    clearInterval(recheckTimer);
    for (const sub of [...subscribers]) sub.close("shutdown");
    clearTimeout(retryTimer);
    wakeRetry?.();
    try {
      await watchReader?.cancel();
    } catch {
      // already closed (the KV was closed first)
    }
    await loop?.catch(() => {});
    await rechecking?.catch(() => {});
  }

  async function subscribe(subOptions: SubscribeOptions = {}): Promise<LiveSubscription> {
    await start();
    const since = subOptions.since;
    // Live events after the hub's head reach the queue; the store covers (since, head] on demand.
    let cursor = since === null || since === undefined || !Number.isFinite(since)
      ? head
      : Math.max(0, Math.floor(since));
    // Past the hub's head may only mean the watch has not caught up yet; past the store's, the
    // cursor comes from a future this store never reached: without a reset the subscriber would
    // skip every change up to its cursor, as polling's `reset` already knows.
    let rewindTo: number | null = null;
    if (cursor > head) {
      const storeHead = await store.getChangeHead();
      if (cursor > storeHead) rewindTo = storeHead;
    }
    if (stopped) throw new LiveHubStoppedError();
    const owner = subOptions.owner;
    if (owner !== undefined) {
      // Oldest first (a Set keeps insertion order): the newest tab of a session is the one in use.
      const mine = [...subscribers].filter((sub) => sub.owner === owner);
      while (mine.length >= maxPerOwner) mine.shift()!.close("replaced");
    }
    if (subscribers.size >= maxSubscribers) throw new LiveHubFullError(maxSubscribers);
    let catchingUp = cursor < head;
    let closedReason: LiveCloseReason | null = null;
    const backlog: LiveEvent[] = [];

    let listener: ((event: LiveEvent) => boolean) | null = null;

    const sub: Subscriber = {
      queue: [],
      wake: null,
      owner,
      rewindTo,
      offer: null,
      flush: null,
      listening: 0,
      previews: subOptions.previews ?? true,
      close(reason) {
        if (closedReason) return;
        closedReason = reason;
        subscribers.delete(sub);
        sub.queue.length = 0;
        sub.offer = null;
        sub.flush = null;
        listener = null;
        sub.wake?.();
        subOptions.onClose?.(reason);
      },
    };
    subscribers.add(sub);

    function take(): LiveEvent | null {
      if (sub.rewindTo !== null) {
        cursor = sub.rewindTo;
        sub.rewindTo = null;
        catchingUp = false;
        backlog.length = 0;
        return { type: "reset", head: cursor };
      }
      // While catching up only the store's pages count: the live queue holds later seqs.
      // Alerts carry no seq: hand them out at once, even while catching up.
      const alertsAt = sub.queue.findIndex((queued) => queued.type === "alerts");
      if (alertsAt >= 0) return sub.queue.splice(alertsAt, 1)[0];
      while (backlog.length > 0 || (!catchingUp && sub.queue.length > 0)) {
        const event = backlog.shift() ?? sub.queue.shift()!;
        // Previews are handed only to listeners, never queued; alerts carry no seq.
        if (event.type === "alerts" || event.type === "preview") return event;
        if (event.type === "reset") {
          if (event.head <= cursor) continue;
          cursor = event.head;
          return event;
        }
        const seq = event.type === "change" ? event.change.seq : event.removal.seq;
        if (seq <= cursor) continue; // already delivered by the catch-up
        cursor = seq;
        return event;
      }
      return null;
    }

    // The next page of the store's changes after the cursor, while catching up.
    async function readBacklog() {
      const page = await store.listChangesSince(cursor, pageSize);
      if (closedReason) return;
      if (page.gap) {
        catchingUp = false;
        backlog.push({ type: "reset", head: page.head });
      } else {
        backlog.push(...liveEventsOf(page));
        const last = lastListedSeq(page);
        if (last === undefined || last >= page.head) {
          catchingUp = false;
        }
      }
    }

    async function next(idleMs?: number): Promise<LiveEvent | "idle" | null> {
      while (true) {
        if (closedReason) return null;
        const ready = take();
        if (ready) return ready;
        if (catchingUp) {
          await readBacklog();
          if (closedReason) return null;
          continue;
        }
        const outcome = await new Promise<"event" | "idle">((resolve) => {
          const timer = idleMs === undefined
            ? undefined
            : setTimeout(() => resolve("idle"), idleMs);
          sub.wake = () => {
            clearTimeout(timer);
            resolve("event");
          };
        });
        sub.wake = null;
        if (outcome === "idle" && !closedReason && sub.queue.length === 0) return "idle";
      }
    }

    /** Hands `event` to the listener; false once the subscription has ended. */
    function deliver(event: LiveEvent): boolean {
      if (closedReason || !listener) return false;
      if (listener(event)) return true;
      sub.close("overflow");
      return false;
    }

    function drainToListener() {
      for (let event = take(); event !== null; event = take()) {
        if (!deliver(event)) return;
      }
    }

    // The fan-out's path once caught up: the same order rules as take(), without a queue.
    function offer(event: LiveEvent) {
      if (event.type === "change" || event.type === "removed") {
        const seq = event.type === "change" ? event.change.seq : event.removal.seq;
        if (seq <= cursor) return;
        cursor = seq;
      } else if (event.type === "reset") {
        if (event.head <= cursor) return;
        cursor = event.head;
      }
      deliver(event);
    }

    async function listen(fn: (event: LiveEvent) => boolean): Promise<void> {
      if (listener || closedReason) return;
      listener = fn;
      sub.flush = drainToListener;
      while (!closedReason) {
        drainToListener();
        if (closedReason || !catchingUp) break;
        await readBacklog();
      }
      // Caught up, and nothing waits: from here the fan-out hands events over as they come.
      if (!closedReason) {
        sub.offer = offer;
        sub.listening = ++listenStarts;
      }
    }

    return {
      get cursor() {
        return cursor;
      },
      get closedReason() {
        return closedReason;
      },
      next,
      listen,
      close: () => sub.close("closed"),
    };
  }

  return {
    start,
    stop,
    subscribe,
    get size() {
      return subscribers.size;
    },
    get head() {
      return head;
    },
    get alerts() {
      return alerts;
    },
    preview,
  };
}

/**
 * The page's changes and removals as events in seq order, each lead's newest only: a change
 * followed in the page by a newer change or the removal of the same lead says nothing the newer
 * one does not (a reader's cursor moves past both all the same).
 */
function liveEventsOf(page: LeadChangesPage): LiveEvent[] {
  const newest = new Map<string, number>();
  for (const { lead, seq } of page.changes) {
    newest.set(lead.id, Math.max(newest.get(lead.id) ?? 0, seq));
  }
  for (const { leadId, seq } of page.removed ?? []) {
    newest.set(leadId, Math.max(newest.get(leadId) ?? 0, seq));
  }
  const changes = page.changes.filter((change) => newest.get(change.lead.id) === change.seq);
  const events: (LiveEvent & { seq: number })[] = [
    ...changes.map((change) => ({ type: "change" as const, change, seq: change.seq })),
    ...(page.removed ?? []).map((removal) => ({
      type: "removed" as const,
      removal,
      seq: removal.seq,
    })),
  ];
  return events.sort((a, b) => a.seq - b.seq).map(({ seq: _seq, ...event }) => event as LiveEvent);
}
