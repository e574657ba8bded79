// The lead store over Deno KV: deduped inserts, updates and a change log, all through one serial writer.

import { addLeadAlert } from "../alerts.ts";
import { DomainError, InvalidCursorError } from "../errors.ts";
import { isUlid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
import { kvValueSize } from "../kv_value_size.ts";
import {
  addCommitSize,
  type CommitSize,
  emptyCommitSize,
  fitsInCommit,
  KV_COMMIT_LIMITS,
  kvKeySize,
  RecordedWrites,
} from "../kv_writes.ts";
import {
  addCounterWrites,
  addIndexWrites,
  addRemovalWrites,
  counterKeysOf,
  counterValueBytesMax,
  type CounterWrite,
  INDEX_VERSION,
  type LeadWrite,
} from "./indexes.ts";
import {
  leadByCreatedKey,
  leadByLeadgenKey,
  leadChangeKey,
  leadChangesHeadKey,
  leadIndexVersionKey,
  leadKey,
  LEADS_BY_CREATED_PREFIX,
  LEADS_PREFIX,
  leadsByOwnerPrefix,
} from "./keys.ts";
import { fitLeadRecord } from "./lead_size.ts";
import { firstStatusChangeAt, type Lead, type LeadTimelineEvent } from "./model.ts";
import {
  addTimelineEvents,
  type LeadTimelinePage,
  listTimelineEvents,
  type ListTimelineOptions,
} from "./timeline.ts";

/** What the change log holds per seq; the lead itself is read fresh when listing. */
export interface LeadChangeRecord {
  seq: number;
  leadId: string;
  /** `deleted`: the lead was erased or purged (see `removeLead`); it holds no lead data. */
  kind: "created" | "updated" | "deleted";
  /** ISO 8601 time of the commit. */
  at: string;
}

/** One change as listed: the lead as it is now, not as it was at `seq`. */
export interface LeadChange {
  seq: number;
  kind: "created" | "updated";
  lead: Lead;
  /** ISO 8601 time of the commit (absent from changes made up by a caller). */
  at?: string;
}

/** Adds more writes (e.g. a fetch job) to the commit that stores `lead`. May run once per attempt. */
export type OnLeadCommit = (op: Deno.AtomicOperation, lead: Lead) => void;

/** Called once the commit that stored `lead` went through, with that commit's versionstamp. */
export type OnLeadCommitted = (lead: Lead, versionstamp: string) => void;

/**
 * Records an insert writes beside its leads (e.g. the raw webhook delivery): they go into the
 * commit that stores the request's leads, or one of their own when none of them is new. What
 * they take of a commit is counted from the writes themselves.
 */
export interface ExtraWrite {
  /** Adds its writes to `op`; may run once per attempt. */
  write(op: Deno.AtomicOperation): void;
  /**
   * Written only once every lead of the request is stored or known (default false): when one
   * cannot be stored, the extra is left out and `extraError` says why. For writes that say the
   * leads are safe, such as the removal of the webhook inbox record that holds them. It goes in
   * the commit of the request's last new lead (or, when that commit is full, the one after it).
   */
  requiresLeads?: boolean;
}

/** Options of `insertLeads`. */
export interface InsertLeadsOptions {
  onCommit?: OnLeadCommit;
  onCommitted?: OnLeadCommitted;
  extra?: ExtraWrite;
}

/** What `insertLeads` did with each lead it was given. */
export interface InsertLeadsResult {
  /**
   * Leads now stored, as stored (answers too large for one KV value shortened, see
   * `answersTruncated`), each with the timeline events recorded for it in `timeline`.
   */
  inserted: Lead[];
  /** Leads given whose leadgenId was already stored (or repeated in the input); nothing was written. */
  duplicates: Lead[];
  /** Leads that could not be stored, with the reason; the others were stored all the same. */
  failed: { lead: Lead; error: Error }[];
  /** Why `extra` could not be written, when it could not; the leads do not depend on it. */
  extraError?: Error;
}

/** A page of leads, newest createdTime first. */
export interface LeadPage {
  leads: Lead[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

/** A lead removed for good (erased or purged): its id, nothing else of it. */
export interface LeadRemoval {
  seq: number;
  leadId: string;
  /** ISO 8601 time of the commit. */
  at: string;
}

/** Changes after a seq, oldest first. */
export interface LeadChangesPage {
  changes: LeadChange[];
  /**
   * Leads removed within the same range of seqs, oldest first (absent: none). A removed lead's
   * earlier changes are not listed (it is gone), so the two lists never need interleaving.
   */
  removed?: LeadRemoval[];
  /** The newest seq; a reader that got every change up to it is up to date. */
  head: number;
  /** True when change records after the asked seq have expired: the reader must reload in full. */
  gap: boolean;
}

/** The newest seq a page lists (a change or a removal); undefined when it lists none. */
export function lastListedSeq(page: LeadChangesPage): number | undefined {
  const change = page.changes.at(-1)?.seq;
  const removal = page.removed?.at(-1)?.seq;
  if (change === undefined) return removal;
  return removal === undefined ? change : Math.max(change, removal);
}

/** Options of `LeadStore.removeLead`. */
export interface RemoveLeadOptions {
  /**
   * Adds writes to the commit that removes `lead` (e.g. an audit entry); may run once per attempt.
   */
  onCommit?: OnLeadCommit;
}

/** Options of `LeadStore.updateLead`. */
export interface UpdateLeadOptions {
  /** Adds writes to the lead's commit (may run once per attempt). */
  onCommit?: OnLeadCommit;
  /**
   * Hears of the lead as the commit will store it, the moment the commit has gone to KV, before
   * it is durable (once per attempt: a commit that fails is tried again, and heard of again). For
   * what may be shown before it is stored (the live hub's preview); it must not throw or block.
   */
  onCommitStarted?: (lead: Lead) => void;
}

/** Options of `createLeadStore`. */
export interface LeadStoreOptions {
  /** How long change records are kept (default 7 days); readers further behind reload in full. */
  changeRetentionMs?: number;
  /**
   * Leads (or updates) per atomic commit at most (default 40, at most 90). Within that, a commit
   * takes leads while their writes fit KV's limits, counted from the writes themselves (indexes,
   * timeline records, jobs and all), so leads with many writes share a commit with fewer others.
   */
  leadsPerCommit?: number;
  /** Limits one commit stays within (default KV's own); tests make them smaller. */
  commitLimits?: CommitSize;
  /** Clock for `updatedAt` and change times (default the real one). */
  now?: () => Date;
  /**
   * More records derived from a lead (e.g. the contact index, the pages leads came from), added
   * to every commit that inserts or updates it, so they never lag behind the lead and nobody
   * catches up on them later. Called with the lead as it was (null when new) and as it will be
   * stored; must be synchronous and write little (its writes count against the commit's size).
   */
  deriveWrites?: (op: Deno.AtomicOperation, write: LeadWrite) => void;
}

/**
 * The lead store: every write goes through one in-process serial writer (see createLeadStore).
 * Leads it hands out (results, change lists) may share parts with what it remembers of its own
 * writes: treat them as read-only, and copy before changing one (`updateLead` gives `mutate` a
 * copy of its own).
 */
export interface LeadStore {
  /**
   * Store new leads, deduped by leadgenId within the batch and against KV, each with its timeline
   * events as records. A lead too large for one KV value is stored shortened (see fitLeadRecord)
   * with a `lead_truncated` alert; one that cannot be stored at all is reported in `failed` while
   * the others are stored. Rejects only when KV itself fails. Leads of requests that arrive
   * together share commits (group commit); each request resolves once all of its leads (and its
   * `extra`) are committed. `onCommit` adds writes to a lead's commit; `onCommitted` hears of
   * each lead the moment its commit went through.
   */
  insertLeads(leads: Lead[], options?: InsertLeadsOptions): Promise<InsertLeadsResult>;
  /**
   * Change one lead; `mutate` returns the new lead or null for "no change" (it may run more than
   * once: the last run is the one committed). Events `mutate` appends to `timeline` are recorded
   * in the same commit. Resolves with the lead as stored, its `timeline` holding the events this
   * change recorded. Throws LeadNotFoundError when no lead has that id.
   */
  updateLead(
    id: string,
    mutate: (lead: Lead) => Lead | null,
    options?: UpdateLeadOptions,
  ): Promise<Lead | null>;
  /**
   * Removes lead `id` for good in one commit: its record, its dedupe, created and derived index
   * keys (lib/leads/indexes.ts), the waiting count it was in, and a `deleted` change record so
   * every open dashboard drops it. Its leadgen id stays known as erased for Meta's 90 days, so a
   * repeat delivery, a replay or a sync never brings it back. Records kept beside the lead
   * (timeline, activities, jobs...) are not touched: see lib/leads/erase.ts, which removes them.
   * Resolves with the lead as it was, or null when no lead has that id.
   */
  removeLead(id: string, options?: RemoveLeadOptions): Promise<Lead | null>;
  /** The lead with our id, or null. Its timeline is not read (see listTimeline). */
  getLead(id: string): Promise<Lead | null>;
  /**
   * One page of lead `id`'s timeline, newest events first across pages (see listTimelineEvents).
   * Throws LeadNotFoundError when no lead has that id, TimelineCursorError for a bad cursor.
   */
  listTimeline(id: string, options?: ListTimelineOptions): Promise<LeadTimelinePage>;
  /** The lead with our id and one page of its timeline (as listTimeline), or null. */
  getLeadWithTimeline(
    id: string,
    options?: ListTimelineOptions,
  ): Promise<{ lead: Lead; timeline: LeadTimelinePage } | null>;
  /** The lead with this Meta leadgen id, or null. */
  getLeadByLeadgenId(leadgenId: string): Promise<Lead | null>;
  /** A page of leads, newest createdTime first. */
  listLeads(options?: { limit?: number; cursor?: string | null }): Promise<LeadPage>;
  /**
   * A page of the leads that `owners` own (null: the leads nobody owns), newest createdTime first,
   * read from the owner index; the cursor works as `listLeads`'s.
   */
  listLeadsOwnedBy(
    owners: (string | null)[],
    options?: { limit?: number; cursor?: string | null },
  ): Promise<LeadPage>;
  /** The leads with these ids, in that order (null for one not stored). */
  getLeads(ids: string[]): Promise<(Lead | null)[]>;
  /**
   * Counts leads stored before the derived indexes existed (or with an older version of them) in
   * the indexes and statistics: each is written once more through the update path. Runs once per
   * index version (a marker in KV says it is done); resolves with how many leads it wrote.
   */
  indexStoredLeads(): Promise<number>;
  /** Changes with seq greater than `seq`, oldest first, at most `limit` (default 100). */
  listChangesSince(seq: number, limit?: number): Promise<LeadChangesPage>;
  /** The newest change seq (0 before the first change). */
  getChangeHead(): Promise<number>;
}

/**
 * No lead has the id asked for (`updateLead`, `listTimeline`, and the functions built on them).
 * Its message is what the API answers with (404), so it stays `No lead has the id <id>`.
 */
export class LeadNotFoundError extends DomainError {
  /** The id asked for. */
  readonly leadId: string;

  /** Make the error for lead `id`. */
  constructor(id: string) {
    super("not_found", `No lead has the id ${id}`);
    this.leadId = id;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * What `["leads_by_leadgen", leadgenId]` holds once its lead was removed: not a lead id, so no
 * lead is found by it, yet the insert's dedupe check sees the key and takes the lead as known.
 */
export const ERASED_LEADGEN = "erased";
/** Meta keeps a lead's answers 90 days after it was submitted: a removed one is known that long. */
const ERASED_LEADGEN_KEEP_MS = 90 * DAY_MS;
/** ...and at least as long as Meta retries a delivery (36 hours) after the removal. */
const MIN_ERASED_LEADGEN_KEEP_MS = 2 * DAY_MS;
/**
 * A lead stored with its timeline inline (before the timeline had records) moves it into records
 * at its next write when it has at most this many events; longer ones stay inline and are read
 * from there, so one write never nears KV's 1,000 mutations per commit.
 */
const INLINE_TIMELINE_MIGRATE_MAX = 400;
/** KV reads at most 10 keys per getMany. */
const GET_MANY_MAX = 10;
const MAX_COMMIT_ATTEMPTS = 20;
/** Leadgen ids this process knows are stored, kept to answer repeats without a read. */
const RECENT_LEADGEN_IDS = 50_000;
/** Leads this process wrote last, kept with their versionstamps so an update needs no read. */
const RECENT_LEADS = 5_000;
/** Change records this process wrote last, kept so that readers of the log need no list. */
const RECENT_CHANGES = 10_000;
/** Counters and statistics buckets this process wrote last, kept so a commit needs no read. */
const RECENT_COUNTERS = 1_000;
/**
 * What a commit of leads carries besides the leads' own writes: the change head's check and
 * write. A change record per lead and the counters (a check and a write each, a bucket taking at
 * most one KV value) are counted per lead as the commit fills.
 */
const HEAD_SIZE: CommitSize = {
  checks: 1,
  mutations: 1,
  mutationBytes: kvKeySize(leadChangesHeadKey()) + 9,
  keyBytes: kvKeySize(leadChangesHeadKey()),
};

/** The bytes of a change record's key and value (the largest seq, a ULID, an ISO time). */
const CHANGE_KEY_BYTES = kvKeySize(leadChangeKey(Number.MAX_SAFE_INTEGER));
const CHANGE_RECORD_BYTES = kvValueSize(
  {
    seq: Number.MAX_SAFE_INTEGER,
    leadId: "0".repeat(26),
    kind: "created",
    at: new Date(0).toISOString(),
  } satisfies LeadChangeRecord,
);

interface InsertRequest {
  kind: "insert";
  leads: Lead[];
  onCommit?: OnLeadCommit;
  onCommitted?: OnLeadCommitted;
  extra?: ExtraWrite;
  result: InsertLeadsResult;
  error: unknown;
  resolve(result: InsertLeadsResult): void;
  reject(error: unknown): void;
}

interface RemoveRequest {
  kind: "remove";
  id: string;
  onCommit?: OnLeadCommit;
  resolve(lead: Lead | null): void;
  reject(error: unknown): void;
}

interface UpdateRequest {
  kind: "update";
  id: string;
  mutate: (lead: Lead) => Lead | null;
  onCommit?: OnLeadCommit;
  onCommitStarted?: (lead: Lead) => void;
  resolve(lead: Lead | null): void;
  reject(error: unknown): void;
}

/** A request's `extra`, waiting for a commit. */
interface PendingExtra {
  kind: "extra";
  request: InsertRequest;
  /** Its writes, recorded once (so they are counted) and replayed onto each attempt. */
  writes: RecordedWrites;
}

/** An item of an insert commit: a lead or a request's extra records. */
type PendingItem = PendingInsert | PendingExtra;

interface PendingInsert extends PreparedLead {
  kind: "lead";
  request: InsertRequest;
  lead: Lead;
  /**
   * Its writes but for the change record and the counters: the record and its dedupe, created,
   * owner and other index keys, timeline records, an alert, and what onCommit adds. Recorded
   * once, replayed onto each attempt.
   */
  writes: RecordedWrites;
}

/** A lead ready for its commit. */
interface PreparedLead {
  /** What goes to `["leads", id]`: the lead fitted to one KV value, without timeline events. */
  record: Lead;
  /** Its size in KV (an upper bound). */
  bytes: number;
  /** The timeline events to record with it. */
  events: LeadTimelineEvent[];
  /** True when its answers were shortened to fit. */
  shortened: boolean;
}

/** An update whose writes are recorded and waiting for a commit. */
interface ReadyUpdate {
  request: UpdateRequest;
  prepared: PreparedLead;
  /** The lead as stored when `mutate` ran; the commit checks its versionstamp. */
  entry: Deno.KvEntry<Lead>;
  writes: RecordedWrites;
}

/**
 * Make the lead store over `kv`. It is an object rather than plain functions because it owns the
 * serial writer: in one process all writes queue up, and inserts (and updates) that arrive
 * together share commits (group commit) instead of fighting over the change head. Across
 * processes every commit checks the head's versionstamp and retries, so seqs stay gap-free and
 * strictly increasing. Every commit of a lead also writes its derived index keys, the waiting
 * count and the hourly statistics (lib/leads/indexes.ts) from the lead as it was and as it will
 * be: the one as it was is read in the commit's own check (or is what this process last wrote
 * and checks by versionstamp), and the counters are checked too.
 */
export function createLeadStore(kv: Deno.Kv, options: LeadStoreOptions = {}): LeadStore {
  const retentionMs = options.changeRetentionMs ?? 7 * DAY_MS;
  const leadsPerCommit = Math.max(1, Math.min(options.leadsPerCommit ?? 40, 90));
  const limits = options.commitLimits ?? KV_COMMIT_LIMITS;
  const now = options.now ?? (() => new Date());
  const queue: (InsertRequest | UpdateRequest | RemoveRequest)[] = [];
  let draining = false;
  /**
   * The change head as this process last committed it. Commits check it rather than read it
   * first; when another process moved it the check fails, and the next attempt reads it.
   */
  let cachedHead: { seq: number; versionstamp: string } | null = null;
  /** Leadgen ids known to be stored (oldest first), so Meta's repeats need no read. */
  const recentLeadgenIds = new Set<string>();
  /**
   * Leads as this process last committed them (oldest first). A lead's details arrive a moment
   * after its insert; the update checks the versionstamp it remembers instead of reading the
   * lead first, and reads only when that check fails (someone else wrote it). What is kept is
   * exactly what was stored (the record, `indexed` marker included), so the derived writes of
   * the update see the true lead as it was.
   */
  const recentLeads = new Map<string, { value: Lead; versionstamp: string }>();
  /**
   * The waiting count and statistics buckets as this process last committed them, by key. A
   * commit checks their versionstamps (see addCounterWrites), so one that another process
   * changed meanwhile fails, and everything cached is forgotten before the next attempt.
   */
  const recentCounters = new Map<string, Deno.KvEntryMaybe<unknown>>();

  function rememberLead(record: Lead, versionstamp: string) {
    recentLeads.delete(record.id);
    // Kept as is, not copied: leads the store hands out are copies of the top level (served).
    recentLeads.set(record.id, { value: record, versionstamp });
    if (recentLeads.size > RECENT_LEADS) recentLeads.delete(recentLeads.keys().next().value!);
  }

  /**
   * Change records this process committed (by seq, oldest first), with `recentLeads` enough to
   * answer listChangesSince without reading KV while no other process writes: every open
   * dashboard's live hub reads each change, and reading them back cost a list and a read of
   * every lead per change. Valid only while the head is the one this process last committed.
   */
  const recentChanges = new Map<number, LeadChangeRecord>();

  function rememberChange(record: LeadChangeRecord) {
    recentChanges.set(record.seq, record);
    if (recentChanges.size > RECENT_CHANGES) {
      recentChanges.delete(recentChanges.keys().next().value!);
    }
  }

  /** Reads counters for addCounterWrites: what this process last wrote, else KV. */
  async function readCounters(keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<unknown>[]> {
    const entries: Deno.KvEntryMaybe<unknown>[] = new Array(keys.length);
    const missing: number[] = [];
    keys.forEach((key, i) => {
      const known = recentCounters.get(JSON.stringify(key));
      if (known) entries[i] = known;
      else missing.push(i);
    });
    if (missing.length > 0) {
      const read = await getManyChunked<unknown>(kv, missing.map((i) => keys[i]));
      missing.forEach((i, j) => {
        entries[i] = read[j];
        rememberCounter(read[j]);
      });
    }
    return entries;
  }

  function rememberCounter(entry: Deno.KvEntryMaybe<unknown>) {
    const name = JSON.stringify(entry.key);
    recentCounters.delete(name);
    recentCounters.set(name, entry);
    if (recentCounters.size > RECENT_COUNTERS) {
      recentCounters.delete(recentCounters.keys().next().value!);
    }
  }

  /** After a commit went through with `versionstamp`: the counters as it wrote them. */
  function rememberCounters(written: CounterWrite[], versionstamp: string) {
    for (const { key, value } of written) {
      rememberCounter(
        value === null ? { key, value: null, versionstamp: null } : { key, value, versionstamp },
      );
    }
  }

  /** After a commit failed or threw: what this process thought current may not be. */
  function forgetCurrent() {
    cachedHead = null;
    recentCounters.clear();
  }

  /** The stored leads with these ids: from what this process last wrote, else from KV. */
  async function readLeadEntries(ids: string[]): Promise<Deno.KvEntryMaybe<Lead>[]> {
    const entries: Deno.KvEntryMaybe<Lead>[] = new Array(ids.length);
    const missing: number[] = [];
    ids.forEach((id, i) => {
      const known = recentLeads.get(id);
      if (known) entries[i] = { key: leadKey(id), ...known };
      else missing.push(i);
    });
    if (missing.length > 0) {
      const read = await getManyChunked<Lead>(kv, missing.map((i) => leadKey(ids[i])));
      missing.forEach((i, j) => entries[i] = read[j]);
    }
    return entries;
  }

  function rememberStored(leadgenId: string) {
    recentLeadgenIds.delete(leadgenId);
    recentLeadgenIds.add(leadgenId);
    if (recentLeadgenIds.size > RECENT_LEADGEN_IDS) {
      recentLeadgenIds.delete(recentLeadgenIds.values().next().value!);
    }
  }

  async function readHead(): Promise<{ seq: number; versionstamp: string | null }> {
    if (cachedHead) return cachedHead;
    const head = await kv.get<number>(leadChangesHeadKey());
    return { seq: head.value ?? 0, versionstamp: head.versionstamp };
  }

  function schedule(request: InsertRequest | UpdateRequest | RemoveRequest) {
    queue.push(request);
    if (!draining) {
      draining = true;
      drain();
    }
  }

  async function drain() {
    // Let callers of the same tick join the first commit.
    await Promise.resolve();
    // Nothing in the loop throws (each request settles itself), and the flag is cleared in the same
    // synchronous step as the empty-queue check, so a request queued by a resumed caller is never stranded.
    while (true) {
      if (queue.length === 0) {
        draining = false;
        return;
      }
      // Everything that queued up while the last commit ran goes together: the inserts in shared
      // commits first (requests wait on them), then the updates in shared commits. An update
      // never waits on an insert of the same round: its lead was stored before it was asked for.
      const round = queue.splice(0);
      const inserts = round.filter((r): r is InsertRequest => r.kind === "insert");
      const updates = round.filter((r): r is UpdateRequest => r.kind === "update");
      if (inserts.length > 0) {
        await writeInserts(inserts).catch((error) => {
          for (const request of inserts) request.error ??= error;
        });
        for (const request of inserts) {
          if (request.error) request.reject(request.error);
          else request.resolve(request.result);
        }
      }
      if (updates.length > 0) await writeUpdates(updates);
      // Removals last, one commit each: they are rare, and one that follows an update of the same
      // lead in this round sees it.
      for (const request of round) {
        if (request.kind === "remove") {
          await writeRemove(request).then(request.resolve, request.reject);
        }
      }
    }
  }

  /**
   * What one lead adds to a commit besides its recorded writes: its change record, and a check
   * and a write of each shared key it changes that the commit does not change yet (counter,
   * bucket, form's questions or campaign; each counted as large as its value may be).
   */
  function sharedSize(write: LeadWrite, counters: Set<string>): CommitSize {
    const size: CommitSize = {
      checks: 0,
      mutations: 1,
      mutationBytes: CHANGE_KEY_BYTES + CHANGE_RECORD_BYTES,
      keyBytes: CHANGE_KEY_BYTES,
    };
    for (const key of counterKeysOf([write])) {
      const name = JSON.stringify(key);
      if (counters.has(name)) continue;
      counters.add(name);
      const keyBytes = kvKeySize(key);
      addCommitSize(size, {
        checks: 1,
        mutations: 1,
        mutationBytes: keyBytes + counterValueBytesMax(key),
        keyBytes,
      });
    }
    return size;
  }

  async function writeInserts(batch: InsertRequest[]) {
    const seen = new Set<string>();
    const pending: PendingItem[] = [];
    for (const request of batch) {
      for (const lead of request.leads) {
        if (lead.leadgenId !== null) {
          if (seen.has(lead.leadgenId) || recentLeadgenIds.has(lead.leadgenId)) {
            request.result.duplicates.push(lead);
            continue;
          }
          seen.add(lead.leadgenId);
        }
        try {
          const prepared = prepareLead(lead, []);
          const writes = recordInsert(request, prepared);
          pending.push({ kind: "lead", request, lead, writes, ...prepared });
        } catch (error) {
          // One lead that cannot be stored never stops the others.
          request.result.failed.push({ lead, error: asError(error) });
        }
      }
      if (request.extra) {
        const writes = new RecordedWrites();
        try {
          request.extra.write(writes.op);
          pending.push({ kind: "extra", request, writes });
        } catch (error) {
          request.result.extraError = asError(error);
        }
      }
    }
    // No read before the commit: each new lead's commit checks that its leadgen key is absent,
    // and a commit that fails on a repeat from another process (or from before a restart) reads
    // the keys then and goes again without it.
    let size = leadsPerCommit;
    let items = Infinity;
    let start = 0;
    while (start < pending.length) {
      const end = chunkEnd(pending, start, size, items);
      const chunk = pending.slice(start, end).filter((item) => {
        if (item.request.error) return false;
        if (item.kind === "extra" && item.request.extra?.requiresLeads) {
          // Its request's leads were all committed or known before it (they come first).
          const failed = item.request.result.failed;
          if (failed.length > 0) {
            item.request.result.extraError ??= new Error(
              `Not written: ${failed.length} lead(s) of the request could not be stored`,
            );
            return false;
          }
        }
        return true;
      });
      try {
        if (chunk.length > 0) await commitInserts(chunk);
        start = end;
      } catch (error) {
        // A commit over KV's limits (or one lead's own failing check) throws: narrow it down, and
        // a single lead that still fails is reported alone while the others go on. Counted in
        // items, not leads, so a lead and its request's extra can be told apart too.
        if (chunk.length > 1) size = items = Math.ceil(chunk.length / 2);
        else {
          if (chunk.length === 1) {
            const item = chunk[0];
            if (item.kind === "lead") {
              item.request.result.failed.push({ lead: item.lead, error: asError(error) });
            } else item.request.result.extraError = asError(error);
          }
          start = end;
          // The culprit is out: the rest fill commits as before.
          size = leadsPerCommit;
          items = Infinity;
        }
      }
    }
  }

  /**
   * Where the commit that starts at `start` ends: at most `size` leads and `items` items, while
   * the writes of every item (as recorded), their change records and counters, and the head fit
   * the limits.
   */
  function chunkEnd(pending: PendingItem[], start: number, size: number, items: number): number {
    const total = addCommitSize(emptyCommitSize(), HEAD_SIZE);
    const counters = new Set<string>();
    let leads = 0;
    let end = start;
    while (end < pending.length) {
      if (end - start >= items) break;
      const item = pending[end];
      const add = addCommitSize(emptyCommitSize(), item.writes.size);
      if (item.kind === "lead") {
        if (leads >= size) break;
        addCommitSize(add, sharedSize({ before: null, after: item.record }, counters));
      }
      addCommitSize(total, add);
      if (end > start && !fitsInCommit(total, limits)) break;
      if (item.kind === "lead") leads++;
      end++;
    }
    return end;
  }

  /**
   * Records a new lead's writes but for its change record and the counters: the record, its
   * dedupe key (checked absent), created and derived index keys, timeline records, an alert when
   * shortened, and what the request's onCommit adds.
   */
  function recordInsert(request: InsertRequest, prepared: PreparedLead): RecordedWrites {
    const { record, events, shortened, bytes } = prepared;
    const writes = new RecordedWrites().knownSize(record, bytes);
    const nowDate = now();
    writes.set(leadKey(record.id), record);
    if (record.leadgenId !== null) {
      writes.check({ key: leadByLeadgenKey(record.leadgenId), versionstamp: null })
        .set(leadByLeadgenKey(record.leadgenId), record.id);
    }
    writes.set(leadByCreatedKey(Date.parse(record.createdTime), record.id), record.id);
    addIndexWrites(writes.op, { before: null, after: record });
    options.deriveWrites?.(writes.op, { before: null, after: record });
    addTimelineEvents(writes.op, record.id, events, nowDate.getTime());
    if (shortened) addShortenedAlert(writes.op, record, nowDate.toISOString());
    request.onCommit?.(writes.op, record);
    return writes;
  }

  /** Moves leads whose leadgenId is already stored to their request's duplicates. */
  async function dropStored(items: PendingItem[]): Promise<PendingItem[]> {
    const withLeadgen = items.filter((item): item is PendingInsert =>
      item.kind === "lead" && item.lead.leadgenId !== null
    );
    const entries = await getManyChunked<string>(
      kv,
      withLeadgen.map((item) => leadByLeadgenKey(item.lead.leadgenId!)),
    );
    const stored = new Set<PendingItem>();
    withLeadgen.forEach((item, i) => {
      if (entries[i].versionstamp === null) return;
      stored.add(item);
      item.request.result.duplicates.push(item.lead);
      rememberStored(item.lead.leadgenId!);
    });
    return items.filter((item) => !stored.has(item));
  }

  async function commitInserts(chunk: PendingItem[]) {
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const leads = chunk.filter((item): item is PendingInsert => item.kind === "lead");
      const head = leads.length > 0 ? await readHead() : null;
      const at = now().toISOString();
      let seq = head?.seq ?? 0;
      const op = kv.atomic();
      const changes: LeadChangeRecord[] = [];
      for (const item of chunk) {
        item.writes.replayOnto(op);
        if (item.kind === "extra") continue;
        const change: LeadChangeRecord = {
          seq: ++seq,
          leadId: item.record.id,
          kind: "created",
          at,
        };
        changes.push(change);
        setChange(op, change);
      }
      let counters: CounterWrite[] = [];
      // The counters as this attempt read (and checks) them, to tell after a failure what moved.
      const checked: Deno.KvEntryMaybe<unknown>[] = [];
      let res: Deno.KvCommitResult | Deno.KvCommitError;
      try {
        if (head) {
          counters = await addCounterWrites(
            op,
            leads.map(({ record }) => ({ before: null, after: record })),
            async (keys) => {
              const entries = await readCounters(keys);
              checked.push(...entries);
              return entries;
            },
          );
          op.check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp })
            .set(leadChangesHeadKey(), seq);
        }
        res = await commitAtomic(op);
      } catch (error) {
        forgetCurrent();
        throw error;
      }
      if (res.ok) {
        if (head) cachedHead = { seq, versionstamp: res.versionstamp };
        rememberCounters(counters, res.versionstamp);
        changes.forEach(rememberChange);
        for (const { request, record, events } of leads) {
          request.result.inserted.push(served(record, events));
          rememberLead(record, res.versionstamp);
          if (record.leadgenId !== null) rememberStored(record.leadgenId);
          try {
            request.onCommitted?.(record, res.versionstamp);
          } catch {
            // The lead is stored; a listener's mistake must not undo that for the others.
          }
        }
        return;
      }
      // Lost a race: another writer stored some of these leads, or moved the head or a counter.
      forgetCurrent();
      const remaining = await dropStored(chunk);
      if (remaining.length === 0) return;
      if (remaining.length === chunk.length) {
        // Nothing of ours moved since this attempt read it: what failed is a check that the
        // records carry (onCommit's, an extra's), and it would fail again.
        const current = head === null ? [] : await getManyChunked<unknown>(kv, [
          leadChangesHeadKey(),
          ...checked.map((entry) => entry.key),
        ]);
        if (
          head === null || (current[0].versionstamp === head.versionstamp &&
            checked.every((entry, i) => entry.versionstamp === current[i + 1].versionstamp))
        ) {
          throw new Error(
            "Cannot insert leads: a check added by onCommit failed (e.g. a job with the same key exists)",
          );
        }
      }
      chunk = remaining;
      await delay(Math.random() * attempt * 2);
    }
    throw new Error(
      `Cannot insert leads: the change head kept moving for ${MAX_COMMIT_ATTEMPTS} attempts`,
    );
  }

  function setChange(op: Deno.AtomicOperation, record: LeadChangeRecord) {
    op.set(leadChangeKey(record.seq), record, { expireIn: retentionMs });
  }

  /** Runs `mutate` on a stored lead: the record and events to write, or null for "no change". */
  function applyUpdate(
    request: UpdateRequest,
    stored: Lead,
    at: string,
  ): PreparedLead | null {
    const changed = request.mutate(structuredClone(stored));
    if (changed === null) return null;
    if (changed.id !== request.id || changed.leadgenId !== stored.leadgenId) {
      throw new Error(`Cannot update lead ${request.id}: its id and leadgenId cannot change`);
    }
    // `mutate` appends the events of its change to what the record held inline.
    return prepareLead({ ...changed, updatedAt: at }, stored.timeline ?? []);
  }

  /**
   * Records one update's writes but for its change record and the counters: the record (checked
   * against the lead as it was), a moved created index, its derived index keys, timeline records,
   * an alert when shortened, and what onCommit adds (which may throw: the update then fails).
   */
  function recordUpdate(
    request: UpdateRequest,
    stored: Deno.KvEntry<Lead>,
    prepared: PreparedLead,
    nowDate: Date,
  ): RecordedWrites {
    const { record, events, shortened, bytes } = prepared;
    const id = record.id;
    const writes = new RecordedWrites().knownSize(record, bytes);
    writes.check(stored).set(leadKey(id), record);
    const oldCreated = Date.parse(stored.value.createdTime);
    const newCreated = Date.parse(record.createdTime);
    if (oldCreated !== newCreated) {
      writes.delete(leadByCreatedKey(oldCreated, id)).set(leadByCreatedKey(newCreated, id), id);
    }
    addIndexWrites(writes.op, { before: stored.value, after: record });
    options.deriveWrites?.(writes.op, { before: stored.value, after: record });
    addTimelineEvents(writes.op, id, events, nowDate.getTime());
    if (shortened) addShortenedAlert(writes.op, record, nowDate.toISOString());
    request.onCommit?.(writes.op, record);
    return writes;
  }

  /**
   * Writes updates that queued up together: those of distinct leads share commits (group
   * commit), as many as fit one; a second update of the same lead waits for the first. A shared
   * commit that fails (a lead changed meanwhile, a check from onCommit) falls back to one commit
   * per update.
   */
  async function writeUpdates(requests: UpdateRequest[]) {
    let rest = requests;
    while (rest.length > 0) {
      const ids = new Set<string>();
      const round: UpdateRequest[] = [];
      const later: UpdateRequest[] = [];
      for (const request of rest) {
        if (ids.has(request.id)) later.push(request);
        else {
          ids.add(request.id);
          round.push(request);
        }
      }
      await commitUpdates(round);
      rest = later;
    }
  }

  async function commitUpdates(round: UpdateRequest[]) {
    if (round.length === 1) return await updateAlone(round[0]);
    let entries: Deno.KvEntryMaybe<Lead>[];
    try {
      entries = await readLeadEntries(round.map((request) => request.id));
    } catch {
      for (const request of round) await updateAlone(request);
      return;
    }
    const nowDate = now();
    const at = nowDate.toISOString();
    const ready: ReadyUpdate[] = [];
    round.forEach((request, i) => {
      const entry = entries[i];
      try {
        if (entry.value === null) throw new LeadNotFoundError(request.id);
        const prepared = applyUpdate(request, entry.value, at);
        if (prepared === null) return request.resolve(null);
        const stored = entry as Deno.KvEntry<Lead>;
        const writes = recordUpdate(request, stored, prepared, nowDate);
        ready.push({ request, prepared, entry: stored, writes });
      } catch (error) {
        request.reject(error);
      }
    });
    // As many as fit one commit go together; the rest in the next.
    let start = 0;
    while (start < ready.length) {
      const total = addCommitSize(emptyCommitSize(), HEAD_SIZE);
      const counters = new Set<string>();
      let end = start;
      while (end < ready.length && end - start < leadsPerCommit) {
        const { writes, entry, prepared } = ready[end];
        addCommitSize(total, writes.size);
        addCommitSize(total, sharedSize({ before: entry.value, after: prepared.record }, counters));
        if (end > start && !fitsInCommit(total, limits)) break;
        end++;
      }
      await commitReadyUpdates(ready.slice(start, end), nowDate);
      start = end;
    }
  }

  /** Commits updates recorded together; when that fails, each is written alone. */
  async function commitReadyUpdates(chunk: ReadyUpdate[], nowDate: Date) {
    try {
      const head = await readHead();
      const at = nowDate.toISOString();
      let seq = head.seq;
      const op = kv.atomic();
      const changes: LeadChangeRecord[] = [];
      for (const { writes, prepared } of chunk) {
        writes.replayOnto(op);
        const change: LeadChangeRecord = {
          seq: ++seq,
          leadId: prepared.record.id,
          kind: "updated",
          at,
        };
        changes.push(change);
        setChange(op, change);
      }
      const counters = await addCounterWrites(
        op,
        chunk.map(({ entry, prepared }) => ({ before: entry.value, after: prepared.record })),
        readCounters,
      );
      op.check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp })
        .set(leadChangesHeadKey(), seq);
      const committing = commitAtomic(op);
      for (const { request, prepared } of chunk) commitStarted(request, prepared.record);
      const res = await committing;
      if (!res.ok) throw new Error("a check failed");
      cachedHead = { seq, versionstamp: res.versionstamp };
      rememberCounters(counters, res.versionstamp);
      changes.forEach(rememberChange);
      for (const { request, prepared: { record, events } } of chunk) {
        rememberLead(record, res.versionstamp);
        request.resolve(served(record, [...record.timeline, ...events]));
      }
    } catch {
      // Whatever went wrong together is tried one by one, each settling with its own outcome.
      forgetCurrent();
      for (const { request } of chunk) recentLeads.delete(request.id);
      for (const { request } of chunk) await updateAlone(request);
    }
  }

  /** Tells an update's caller the commit of `record` has gone to KV (see onCommitStarted). */
  function commitStarted(request: UpdateRequest, record: Lead) {
    try {
      request.onCommitStarted?.(served(record));
    } catch {
      // What is shown early is the caller's affair: the commit goes on all the same.
    }
  }

  async function updateAlone(request: UpdateRequest) {
    await writeUpdate(request).then(request.resolve, request.reject);
  }

  async function writeUpdate(request: UpdateRequest): Promise<Lead | null> {
    const { id } = request;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const [[entry], head] = await Promise.all([readLeadEntries([id]), readHead()]);
      if (entry.value === null) throw new LeadNotFoundError(id);
      const nowDate = now();
      const prepared = applyUpdate(request, entry.value, nowDate.toISOString());
      if (prepared === null) return null;
      const stored = entry as Deno.KvEntry<Lead>;
      const seq = head.seq + 1;
      const op = kv.atomic();
      recordUpdate(request, stored, prepared, nowDate).replayOnto(op);
      const change: LeadChangeRecord = {
        seq,
        leadId: id,
        kind: "updated",
        at: nowDate.toISOString(),
      };
      const versionstamp = await commitChange(
        op,
        head,
        change,
        () =>
          addCounterWrites(op, [{ before: stored.value, after: prepared.record }], readCounters),
        () => commitStarted(request, prepared.record),
      );
      if (versionstamp !== null) {
        rememberLead(prepared.record, versionstamp);
        const { record, events } = prepared;
        return served(record, [...record.timeline, ...events]);
      }
      await delay(Math.random() * attempt * 2);
    }
    throw new Error(
      `Cannot update lead ${id}: it or the change head kept changing for ${MAX_COMMIT_ATTEMPTS} attempts`,
    );
  }

  /**
   * Commits `op` as change `change` on top of `head`, with the counter writes `addCounters` adds
   * to it. On success the store's memory of the head, the counters and the change follow and the
   * commit's versionstamp is returned; null when a check failed: the lead and the head are then
   * forgotten so the caller's next attempt reads them afresh.
   */
  async function commitChange(
    op: Deno.AtomicOperation,
    head: { seq: number; versionstamp: string | null },
    change: LeadChangeRecord,
    addCounters: () => Promise<CounterWrite[]>,
    started?: () => void,
  ): Promise<string | null> {
    setChange(op, change);
    let counters: CounterWrite[];
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      counters = await addCounters();
      op.check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp })
        .set(leadChangesHeadKey(), change.seq);
      const committing = commitAtomic(op);
      started?.();
      res = await committing;
    } catch (error) {
      forgetCurrent();
      throw error;
    }
    if (!res.ok) {
      // Read all of it afresh next time: something changed under us.
      forgetCurrent();
      recentLeads.delete(change.leadId);
      return null;
    }
    cachedHead = { seq: change.seq, versionstamp: res.versionstamp };
    rememberCounters(counters, res.versionstamp);
    rememberChange(change);
    return res.versionstamp;
  }

  async function writeRemove(request: RemoveRequest): Promise<Lead | null> {
    const { id } = request;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const [[entry], head] = await Promise.all([readLeadEntries([id]), readHead()]);
      if (entry.value === null) return null;
      const lead = entry.value;
      const nowDate = now();
      const seq = head.seq + 1;
      const op = kv.atomic().check(entry).delete(leadKey(id))
        .delete(leadByCreatedKey(Date.parse(lead.createdTime), id));
      if (lead.leadgenId !== null) {
        // Kept (without our id) for as long as Meta may send or list the lead again.
        const keepMs = Date.parse(lead.createdTime) + ERASED_LEADGEN_KEEP_MS - nowDate.getTime();
        op.set(leadByLeadgenKey(lead.leadgenId), ERASED_LEADGEN, {
          expireIn: Math.max(keepMs, MIN_ERASED_LEADGEN_KEEP_MS),
        });
      }
      const change: LeadChangeRecord = {
        seq,
        leadId: id,
        kind: "deleted",
        at: nowDate.toISOString(),
      };
      const versionstamp = await commitChange(op, head, change, async () => {
        const counters = await addRemovalWrites(op, lead, readCounters);
        request.onCommit?.(op, lead);
        return counters;
      });
      if (versionstamp !== null) {
        recentLeads.delete(id);
        if (lead.leadgenId !== null) rememberStored(lead.leadgenId);
        return served(lead);
      }
      await delay(Math.random() * attempt * 2);
    }
    throw new Error(
      `Cannot remove lead ${id}: it or the change head kept changing for ${MAX_COMMIT_ATTEMPTS} attempts`,
    );
  }

  /**
   * The record to store for `lead` and the timeline events to record beside it. `inline` is what
   * the stored record held inline (old leads): events after it in `lead.timeline` are new. Inline
   * events move to records with the new ones, unless there are too many for one commit.
   */
  function prepareLead(lead: Lead, inline: LeadTimelineEvent[]): PreparedLead {
    assertLeadStorable(lead);
    const timeline = lead.timeline ?? [];
    const migrate = inline.length <= INLINE_TIMELINE_MIGRATE_MAX;
    const events = migrate ? [...timeline] : timeline.slice(inline.length);
    // Every record written from now on is counted in the derived indexes (see indexes.ts).
    let base: Lead = { ...lead, timeline: migrate ? [] : inline, indexed: INDEX_VERSION };
    if (migrate && inline.length > 0 && base.firstContactAt === null) {
      // Leads stored before firstContactAt existed read it from their inline timeline.
      base = { ...base, firstContactAt: firstStatusChangeAt(inline) };
    }
    const fitted = fitLeadRecord(base);
    if (fitted.shortened) {
      events.push({
        at: fitted.lead.updatedAt,
        event: "answers shortened",
        detail: describeShortening(fitted.lead),
      });
    }
    return { record: fitted.lead, bytes: fitted.bytes, events, shortened: fitted.shortened };
  }

  function addShortenedAlert(op: Deno.AtomicOperation, lead: Lead, at: string) {
    const who = lead.fullName ?? lead.email ?? lead.phone ?? "unnamed";
    const meta = lead.leadgenId !== null ? `, Meta lead ${lead.leadgenId}` : "";
    addLeadAlert(op, {
      kind: "lead_truncated",
      leadId: lead.id,
      pageId: lead.pageId,
      message: `Lead ${lead.id} (${who}${meta}) was too large to store whole: ` +
        `${describeShortening(lead)}`,
      at,
    });
  }

  const store: LeadStore = {
    insertLeads(leads, insertOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({
          kind: "insert",
          leads,
          onCommit: insertOptions.onCommit,
          onCommitted: insertOptions.onCommitted,
          extra: insertOptions.extra,
          result: { inserted: [], duplicates: [], failed: [] },
          error: undefined,
          resolve,
          reject,
        });
      });
    },

    removeLead(id, removeOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({ kind: "remove", id, onCommit: removeOptions.onCommit, resolve, reject });
      });
    },

    updateLead(id, mutate, updateOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({
          kind: "update",
          id,
          mutate,
          onCommit: updateOptions.onCommit,
          onCommitStarted: updateOptions.onCommitStarted,
          resolve,
          reject,
        });
      });
    },

    async getLead(id) {
      return served((await kv.get<Lead>(leadKey(id))).value);
    },

    async listTimeline(id, listOptions) {
      // The record, for the events an old lead still holds inline.
      const stored = (await kv.get<Lead>(leadKey(id))).value;
      if (stored === null) throw new LeadNotFoundError(id);
      return await listTimelineEvents(kv, stored, listOptions);
    },

    async getLeadWithTimeline(id, listOptions) {
      const lead = (await kv.get<Lead>(leadKey(id))).value;
      if (lead === null) return null;
      return { lead: served(lead), timeline: await listTimelineEvents(kv, lead, listOptions) };
    },

    async getLeadByLeadgenId(leadgenId) {
      const id = (await kv.get<string>(leadByLeadgenKey(leadgenId))).value;
      return id === null || id === ERASED_LEADGEN
        ? null
        : served((await kv.get<Lead>(leadKey(id))).value);
    },

    async listLeads(listOptions = {}) {
      const limit = Math.max(1, Math.min(Math.floor(listOptions.limit ?? 50), 500));
      const after = listOptions.cursor ? decodeLeadCursor(listOptions.cursor) : null;
      const selector: Deno.KvListSelector = after
        ? { prefix: LEADS_BY_CREATED_PREFIX, end: leadByCreatedKey(after.createdMs, after.id) }
        : { prefix: LEADS_BY_CREATED_PREFIX };
      const keys: [number, string][] = [];
      for await (const entry of kv.list<string>(selector, { reverse: true, limit: limit + 1 })) {
        keys.push([entry.key[1] as number, entry.value]);
      }
      const page = keys.slice(0, limit);
      const leads = await readLeads(page.map(([, id]) => id));
      const last = page.at(-1);
      return {
        leads: leads.filter((lead): lead is Lead => lead !== null),
        cursor: keys.length > limit && last ? `${last[0]}_${last[1]}` : null,
      };
    },

    async listLeadsOwnedBy(owners, listOptions = {}) {
      const limit = Math.max(1, Math.min(Math.floor(listOptions.limit ?? 50), 500));
      const after = listOptions.cursor ? decodeLeadCursor(listOptions.cursor) : null;
      const keys: [number, string][] = [];
      // Each owner's index is newest first; the page is the newest `limit` of their union.
      for (const owner of new Set(owners)) {
        const prefix = leadsByOwnerPrefix(owner);
        const selector: Deno.KvListSelector = after
          ? { prefix, end: [...prefix, after.createdMs, after.id] }
          : { prefix };
        for await (const entry of kv.list<string>(selector, { reverse: true, limit: limit + 1 })) {
          keys.push([entry.key[2] as number, entry.value]);
        }
      }
      keys.sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
      const page = keys.slice(0, limit);
      const leads = await readLeads(page.map(([, id]) => id));
      const last = page.at(-1);
      return {
        leads: leads.filter((lead): lead is Lead => lead !== null),
        cursor: keys.length > limit && last ? `${last[0]}_${last[1]}` : null,
      };
    },

    getLeads(ids) {
      return readLeads(ids);
    },

    async indexStoredLeads() {
      if ((await kv.get<number>(leadIndexVersionKey())).value === INDEX_VERSION) return 0;
      let written = 0;
      let read = 0;
      for await (const entry of kv.list<Lead>({ prefix: LEADS_PREFIX })) {
        // A background pass over every lead: requests go first every 100 leads.
        if (++read % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        if (entry.value.indexed === INDEX_VERSION) continue;
        try {
          // The same lead again: the write counts it in the indexes (see indexes.ts).
          await store.updateLead(entry.value.id, (lead) => lead);
          written++;
        } catch (error) {
          if (!(error instanceof LeadNotFoundError)) throw error;
        }
      }
      await kv.set(leadIndexVersionKey(), INDEX_VERSION);
      return written;
    },

    async listChangesSince(seq, limit = 100) {
      const since = Math.max(0, Math.floor(seq));
      // The first record asked for is read too: records expire oldest first, so while it is
      // there none after it has expired, and memory may answer.
      const [headEntry, first] = await kv.getMany<[number, LeadChangeRecord]>([
        leadChangesHeadKey(),
        leadChangeKey(since + 1),
      ]);
      const head = headEntry.value ?? 0;
      if (since >= head) return { changes: [], head, gap: false };
      const count = Math.min(head - since, Math.max(1, Math.min(Math.floor(limit), 1000)));
      const mine = cachedHead?.versionstamp === headEntry.versionstamp && first.value !== null
        ? changesFromMemory(since, count)
        : null;
      let records: LeadChangeRecord[];
      if (mine) records = mine;
      else {
        records = [];
        const iter = kv.list<LeadChangeRecord>(
          { start: leadChangeKey(since + 1), end: leadChangeKey(head + 1) },
          { limit: count },
        );
        for await (const entry of iter) records.push(entry.value);
      }
      const leads = mine
        ? await readLeadValues(records.map((record) => record.leadId))
        : await readLeads(records.map((record) => record.leadId));
      const changes: LeadChange[] = [];
      const removed: LeadRemoval[] = [];
      records.forEach((record, i) => {
        const lead = leads[i];
        if (record.kind === "deleted") {
          removed.push({ seq: record.seq, leadId: record.leadId, at: record.at });
        } else if (lead) changes.push({ seq: record.seq, kind: record.kind, lead, at: record.at });
      });
      const gap = (records[0]?.seq ?? head + 1) !== since + 1;
      return removed.length > 0 ? { changes, removed, head, gap } : { changes, head, gap };
    },

    async getChangeHead() {
      return (await kv.get<number>(leadChangesHeadKey())).value ?? 0;
    },
  };
  return store;

  /** Change records (since, since + count] from memory, or null when one of them is not there. */
  function changesFromMemory(since: number, count: number): LeadChangeRecord[] | null {
    const records: LeadChangeRecord[] = [];
    for (let seq = since + 1; seq <= since + count; seq++) {
      const record = recentChanges.get(seq);
      if (!record) return null;
      records.push(record);
    }
    return records;
  }

  /** Leads by id as stored now: what this process last wrote, else from KV. */
  async function readLeadValues(ids: string[]): Promise<(Lead | null)[]> {
    return (await readLeadEntries(ids)).map((entry) => served(entry.value));
  }

  async function readLeads(ids: string[]): Promise<(Lead | null)[]> {
    const entries = await getManyChunked<Lead>(kv, ids.map(leadKey));
    return entries.map((entry) => served(entry.value));
  }
}

/**
 * A lead as the store hands it out: without its internal index marker (and with `timeline`
 * when given). A copy of the top level, so what the store keeps of its writes stays as stored.
 */
function served<T extends Lead | null>(lead: T, timeline?: LeadTimelineEvent[]): T {
  if (lead === null) return lead;
  const { indexed: _indexed, ...rest } = lead as Lead;
  if (timeline) rest.timeline = timeline;
  return rest as T;
}

/** Throws when a lead cannot be stored: its id is not a ULID or its created time not a date. */
function assertLeadStorable(lead: Lead) {
  if (!isUlid(lead.id)) throw new TypeError(`Cannot store lead: id "${lead.id}" is not a ULID`);
  if (isNaN(Date.parse(lead.createdTime))) {
    throw new TypeError(
      `Cannot store lead ${lead.id}: createdTime "${lead.createdTime}" is not a date`,
    );
  }
}

/** What was cut from a shortened lead, for its timeline and its alert. */
function describeShortening(lead: Lead): string {
  const cut = lead.answersTruncated;
  if (!cut) return "nothing was cut";
  const parts = [
    `${cut.values} answer${cut.values === 1 ? "" : "s"} shortened ` +
    `(${cut.characters} characters left out)`,
  ];
  if (cut.answersDropped > 0) {
    parts.push(`${cut.answersDropped} answer${cut.answersDropped === 1 ? "" : "s"} left out`);
  }
  return `${parts.join(", ")}; Meta keeps the full answers (Leads Center, and the Graph API for ` +
    `90 days)`;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function decodeLeadCursor(cursor: string): { createdMs: number; id: string } {
  const match = /^(-?\d+)_([0-9A-Z]{26})$/.exec(cursor);
  if (!match) {
    throw new InvalidCursorError(
      `Cannot list leads: cursor "${cursor.slice(0, 60)}" is not one we gave out`,
    );
  }
  return { createdMs: Number(match[1]), id: match[2] };
}

/** `kv.getMany` for any number of keys (KV reads at most 10 per call), in parallel. */
async function getManyChunked<T>(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<T>[]> {
  const chunks: Promise<Deno.KvEntryMaybe<T>[]>[] = [];
  for (let i = 0; i < keys.length; i += GET_MANY_MAX) {
    chunks.push(kv.getMany<T[]>(keys.slice(i, i + GET_MANY_MAX)));
  }
  return (await Promise.all(chunks)).flat();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
