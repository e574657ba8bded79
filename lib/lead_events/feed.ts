// The lead event feed: follows the lead change log, turns each lead's new timeline lines into lead
// events, and hands them to sinks (push, outbound webhooks, Conversions API) in one KV commit with
// the lead's cursor, so every event reaches every sink exactly once, across restarts and processes.

import { commitAtomic } from "../kv_commit.ts";
import { leadChangesHeadKey, leadKey, leadTimelineKey, leadTimelinePrefix } from "../leads/keys.ts";
import { catchUpLeadFollower, type FollowResult, leadFollowerKey } from "../leads/lead_follower.ts";
import type { Lead, LeadTimelineEvent } from "../leads/model.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { type LeadEvent, leadEventOf } from "./events.ts";
import { leadEventCursorKey, leadEventEpochKey } from "./keys.ts";

/** Writes a sink adds to the commit that marks a lead's events as handled. */
export interface SinkWrites {
  /** Adds checks and mutations to the commit (it may run again on a retry, with a new `prepare`). */
  apply(op: Deno.AtomicOperation): void;
  /** Runs once the commit landed (e.g. kick the job queue); errors are logged. */
  afterCommit?(): void | Promise<void>;
}

/** One consumer of lead events. */
export interface LeadEventSink {
  /**
   * Whether anyone consumes its events now (a push device, a webhook destination); when no sink
   * is, the feed reads and writes nothing per lead, and what happens meanwhile is history to a
   * consumer added later. Default: always.
   */
  active?(): Promise<boolean>;
  /**
   * Reads what it needs for `events` (new, in timeline order) of `lead` (as it is now) and returns
   * the writes to commit with them, or null for none. Called again when the commit is retried.
   */
  prepare(lead: Lead, events: LeadEvent[]): Promise<SinkWrites | null>;
}

/** The lead's timeline lines already handled (see processLead). */
export interface LeadEventCursor {
  /** The newest handled record id (a ULID). */
  lastId: string;
  /** Handled record ids within SKEW_MS of `lastId`'s time: a late line from a skewed clock is not. */
  seen: string[];
}

/**
 * The cursor value that marks these timeline record ids of a lead as handled, for
 * `["lead_event_cursors", leadId]`: an import writes it beside the records it brings, so history
 * restored into a running store is never sent to push, webhooks or Meta again.
 */
export function handledCursorOf(ids: string[]): LeadEventCursor | null {
  if (ids.length === 0) return null;
  const sorted = [...ids].sort();
  const lastId = sorted[sorted.length - 1];
  const keepFrom = ulidFloor(ulidTime(lastId) - SKEW_MS);
  return { lastId, seen: sorted.filter((id) => id >= keepFrom) };
}

/** What the feed needs. */
export interface LeadEventFeedDeps {
  kv: Deno.Kv;
  store: LeadStore;
  log: Logger;
  /** Clock (default the real one). */
  now?: () => Date;
  /** Catch-up period besides the watch (default 5,000 ms), for a missed or failed watch. */
  intervalMs?: number;
}

/** The feed of one app. */
export interface LeadEventFeed {
  /** Adds a consumer; call before `start`. */
  addSink(name: string, sink: LeadEventSink): void;
  /** Marks where history ends on the first run, then follows the change log until `stop`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Brings the feed up to date now (tests, and each change the watch sees). */
  catchUp(): Promise<FollowResult>;
}

const FOLLOWER = "lead_events";
/**
 * How far back from a lead's newest handled line the next read starts. Timeline record ids carry
 * their writer's clock; on Deno Deploy two instances' clocks may differ a little, so a line
 * written after another may sort just before it.
 */
const SKEW_MS = 60_000;
const LINES_PER_READ = 200;
const LEADS_AT_ONCE = 4;
const COMMIT_ATTEMPTS = 10;
/** How long a change trusts the last "no consumer" answer (see onChange). */
const QUIET_RECHECK_MS = 1_000;

/** Makes the feed; nothing runs until `start`. */
export function createLeadEventFeed(deps: LeadEventFeedDeps): LeadEventFeed {
  const { kv, store, log } = deps;
  const now = deps.now ?? (() => new Date());
  const sinks = new Map<string, LeadEventSink>();
  let epochMs = 0;
  let stopped = true;
  let watchReader: ReadableStreamDefaultReader<Deno.KvEntryMaybe<unknown>[]> | null = null;
  let watching: Promise<void> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let rerun = false;
  let running: Promise<FollowResult> | null = null;
  /** When the feed last passed changes by because no sink was active (ms), or 0. */
  let idleUntil = 0;
  /** Until when a change need not ask the sinks again whether anyone listens (ms). */
  let quietUntil = 0;

  /** Whether some sink has a consumer now. */
  async function anyActive(): Promise<boolean> {
    for (const sink of sinks.values()) {
      if (!sink.active || await sink.active()) return true;
    }
    return false;
  }

  /**
   * Lines from before `ms` are history from now on, here and (once the stored epoch is raised)
   * in every process: they happened while nobody consumed events.
   */
  async function raiseEpoch(ms: number): Promise<void> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const entry = await kv.get<string>(leadEventEpochKey());
      const stored = Date.parse(entry.value ?? "") || 0;
      if (stored >= ms) break;
      const at = new Date(ms).toISOString();
      if ((await commitAtomic(kv.atomic().check(entry).set(leadEventEpochKey(), at))).ok) break;
    }
    epochMs = Math.max(epochMs, ms);
  }

  async function processLead(lead: Lead): Promise<void> {
    for (let attempt = 1; attempt <= COMMIT_ATTEMPTS; attempt++) {
      // The lead's record too: the commit checks it, so nothing is written (a cursor, a job with
      // the lead's name) for a lead erased meanwhile; once it is gone there is nothing to do.
      const [cursorEntry, leadEntry] = await kv.getMany<[LeadEventCursor, Lead]>([
        leadEventCursorKey(lead.id),
        leadKey(lead.id),
      ]);
      if (leadEntry.versionstamp === null) return;
      const cursor = cursorEntry.value;
      const seen = new Set(cursor?.seen ?? []);
      const floor = cursor ? ulidFloor(ulidTime(cursor.lastId) - SKEW_MS) : null;
      const lines: { id: string; line: LeadTimelineEvent }[] = [];
      const selector: Deno.KvListSelector = floor
        ? { prefix: leadTimelinePrefix(lead.id), start: leadTimelineKey(lead.id, floor) }
        : { prefix: leadTimelinePrefix(lead.id) };
      for await (const entry of kv.list<LeadTimelineEvent>(selector, { limit: LINES_PER_READ })) {
        const id = entry.key[2] as string;
        if (!seen.has(id)) lines.push({ id, line: entry.value });
      }
      if (lines.length === 0) return;
      const events: LeadEvent[] = [];
      for (const { id, line } of lines) {
        // Lines from before the feed first ran are history: nobody is told about them now. (One
        // of the very millisecond it first ran counts as news: better late than lost.)
        if (Date.parse(line.at) < epochMs) continue;
        const event = leadEventOf(lead.id, id, line);
        if (event) events.push(event);
      }
      const handled = [...seen, ...lines.map(({ id }) => id)].sort();
      const lastId = handled[handled.length - 1];
      const keepFrom = ulidFloor(ulidTime(lastId) - SKEW_MS);
      const next: LeadEventCursor = { lastId, seen: handled.filter((id) => id >= keepFrom) };
      const writes: { name: string; writes: SinkWrites }[] = [];
      if (events.length > 0) {
        for (const [name, sink] of sinks) {
          const prepared = await sink.prepare(lead, events);
          if (prepared) writes.push({ name, writes: prepared });
        }
      }
      const op = kv.atomic().check(cursorEntry).check(leadEntry)
        .set(leadEventCursorKey(lead.id), next);
      for (const { writes: sinkWrites } of writes) sinkWrites.apply(op);
      if ((await commitAtomic(op)).ok) {
        for (const { name, writes: sinkWrites } of writes) {
          try {
            await sinkWrites.afterCommit?.();
          } catch (error) {
            log.error("lead event sink failed after its commit", { sink: name, error });
          }
        }
        // A full read may have left newer lines: read on.
        if (lines.length < LINES_PER_READ) return;
        attempt = 0;
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt * 3));
    }
    throw new Error(
      `Cannot record lead ${lead.id}'s events: its cursor kept changing for ${COMMIT_ATTEMPTS} attempts`,
    );
  }

  async function visit(leads: Lead[]): Promise<void> {
    // Nobody to tell (no device, no destination, no Conversions API): pass the changes by, with
    // no read or cursor per lead. Their lines were written before they were listed, so by this
    // millisecond: from the next one on they read as history, here and once a consumer comes.
    const checkedAt = now().getTime();
    if (!await anyActive()) {
      idleUntil = checkedAt + 1;
      return;
    }
    if (idleUntil > epochMs) await raiseEpoch(idleUntil);
    const byId = new Map<string, Lead>();
    for (const lead of leads) byId.set(lead.id, lead);
    const queue = [...byId.values()];
    const failures: unknown[] = [];
    await Promise.all(
      Array.from({ length: Math.min(LEADS_AT_ONCE, queue.length) }, async () => {
        for (let lead = queue.shift(); lead; lead = queue.shift()) {
          await processLead(lead).catch((error) => failures.push(error));
        }
      }),
    );
    // The follower keeps its seq: these changes are visited again at the next catch-up.
    if (failures.length > 0) throw failures[0];
  }

  function catchUp(): Promise<FollowResult> {
    if (running) {
      rerun = true;
      return running;
    }
    running = (async () => {
      let result: FollowResult;
      do {
        rerun = false;
        result = await catchUpLeadFollower(kv, store, FOLLOWER, {
          visit,
          rebuild() {
            // Changes older than the change log's retention were missed (the feed was stopped
            // for days): their events are not sent late. Leads catch up at their next change.
            log.warn("lead event feed was behind the change log; older events are skipped");
            return Promise.resolve();
          },
        });
      } while (rerun && !stopped);
      return result;
    })().finally(() => running = null);
    return running;
  }

  function kick() {
    catchUp().catch((error) => log.error("lead event feed catch-up failed", { error }));
  }

  /**
   * A change was committed: catch up, unless nobody consumes events (then the changes wait for
   * the periodic catch-up, which passes them by), so a team without push devices, destinations
   * or the Conversions API pays two small reads per change rather than a catch-up.
   */
  async function onChange() {
    if (running) {
      rerun = true;
      return;
    }
    try {
      // "Nobody" is remembered for a second: a consumer added meanwhile gets its first events at
      // the next change after that, or at the periodic catch-up. (A catch-up's own check is
      // never remembered: passing changes by must be decided on the moment.)
      const at = now().getTime();
      if (at < quietUntil) return;
      if (await anyActive()) kick();
      else quietUntil = at + QUIET_RECHECK_MS;
    } catch (error) {
      log.error("lead event feed catch-up failed", { error });
    }
  }

  async function watchChanges() {
    while (!stopped) {
      const reader = kv.watch([leadChangesHeadKey()]).getReader();
      watchReader = reader;
      try {
        while (!stopped) {
          const { done } = await reader.read();
          if (done || stopped) break;
          void onChange();
        }
      } catch (error) {
        if (!stopped) log.error("lead event feed watch failed; restarting it", { error });
      } finally {
        watchReader = null;
        reader.releaseLock();
      }
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }

  return {
    addSink(name, sink) {
      if (sinks.has(name)) throw new Error(`Cannot add lead event sink "${name}": it exists`);
      sinks.set(name, sink);
    },

    async start() {
      if (!stopped) return;
      stopped = false;
      // The first run starts at the head: what happened before is history, not news.
      const at = now().toISOString();
      const head = await store.getChangeHead();
      await commitAtomic(
        kv.atomic()
          .check({ key: leadEventEpochKey(), versionstamp: null })
          .check({ key: leadFollowerKey(FOLLOWER), versionstamp: null })
          .set(leadEventEpochKey(), at)
          .set(leadFollowerKey(FOLLOWER), head),
      );
      epochMs = Date.parse((await kv.get<string>(leadEventEpochKey())).value ?? at);
      watching = watchChanges();
      timer = setInterval(kick, deps.intervalMs ?? 5_000);
      kick();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await watchReader?.cancel().catch(() => {});
      await watching;
      await running?.catch(() => {});
    },

    catchUp,
  };
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** The time (ms) in a ULID's first ten characters. */
export function ulidTime(id: string): number {
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}

/** The smallest ULID of time `ms`: a KV list `start` that takes every id from then on. */
export function ulidFloor(ms: number): string {
  let time = Math.max(0, Math.floor(ms));
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out + "0".repeat(16);
}
