// The lead store over Deno KV: deduped inserts, updates and a change log, all through one serial writer.

import { addLeadAlert } from "../alerts.ts";
import { isUlid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
import {
  leadByCreatedKey,
  leadByLeadgenKey,
  leadChangeKey,
  leadChangesHeadKey,
  leadKey,
  LEADS_BY_CREATED_PREFIX,
} from "./keys.ts";
import { fitLeadRecord } from "./lead_size.ts";
import { firstStatusChangeAt, type Lead, type LeadTimelineEvent } from "./model.ts";
import {
  addTimelineEvents,
  type LeadTimelinePage,
  listTimelineEvents,
  type ListTimelineOptions,
} from "./timeline.ts";

export { leadChangesHeadKey } from "./keys.ts";

/** What the change log holds per seq; the lead itself is read fresh when listing. */
export interface LeadChangeRecord {
  seq: number;
  leadId: string;
  kind: "created" | "updated";
  /** ISO 8601 time of the commit. */
  at: string;
}

/** One change as listed: the lead as it is now, not as it was at `seq`. */
export interface LeadChange {
  seq: number;
  kind: "created" | "updated";
  lead: Lead;
}

/** Adds more writes (e.g. a fetch job) to the commit that stores `lead`. May run once per attempt. */
export type OnLeadCommit = (op: Deno.AtomicOperation, lead: Lead) => void;

/** Called once the commit that stored `lead` went through, with that commit's versionstamp. */
export type OnLeadCommitted = (lead: Lead, versionstamp: string) => void;

/**
 * Records an insert writes beside its leads (e.g. the raw webhook delivery): they go into the
 * commit that stores the request's leads, or one of their own when none of them is new.
 */
export interface ExtraWrite {
  /** Bytes of the values it writes (counted against KV's 800 KiB per commit). */
  bytes: number;
  /** Mutations it adds (counted against KV's 1,000 per commit). */
  mutations: number;
  /** Adds its writes to `op`; may run once per attempt. */
  write(op: Deno.AtomicOperation): void;
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

/** Changes after a seq, oldest first. */
export interface LeadChangesPage {
  changes: LeadChange[];
  /** The newest seq; a reader that got every change up to it is up to date. */
  head: number;
  /** True when change records after the asked seq have expired: the reader must reload in full. */
  gap: boolean;
}

/** Options of `createLeadStore`. */
export interface LeadStoreOptions {
  /** How long change records are kept (default 7 days); readers further behind reload in full. */
  changeRetentionMs?: number;
  /**
   * Leads per atomic commit (default 40). KV allows 100 checks per commit and each lead takes
   * one (its leadgen dedupe key) plus one for a job's idempotency key, so 40 leaves room.
   */
  leadsPerCommit?: number;
  /** Clock for `updatedAt` and change times (default the real one). */
  now?: () => Date;
}

/**
 * The lead store: every write goes through one in-process serial writer (see createLeadStore).
 * Leads it hands out (results, change lists) may be shared with what it remembers of its own
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
   * Change one lead; `mutate` returns the new lead or null for "no change". Events `mutate`
   * appends to `timeline` are recorded in the same commit. Resolves with the lead as stored, its
   * `timeline` holding the events this change recorded.
   */
  updateLead(
    id: string,
    mutate: (lead: Lead) => Lead | null,
    options?: { onCommit?: OnLeadCommit },
  ): Promise<Lead | null>;
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
  /** Changes with seq greater than `seq`, oldest first, at most `limit` (default 100). */
  listChangesSince(seq: number, limit?: number): Promise<LeadChangesPage>;
  /** The newest change seq (0 before the first change). */
  getChangeHead(): Promise<number>;
}

/** `updateLead` was asked for a lead that is not stored. */
export class LeadNotFoundError extends Error {
  /** Make the error for lead `id`. */
  constructor(id: string) {
    super(`Cannot find lead ${id}: no lead has that id`);
    this.name = "LeadNotFoundError";
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Bytes of values one insert commit carries at most. KV refuses commits over 800 KiB in total;
 * each lead also brings its keys, index entries, change record, timeline records and job.
 */
const COMMIT_VALUE_BYTES = 600_000;
/** Per-lead bytes of a commit besides the lead's own value (keys, indexes, change, job, events). */
const PER_LEAD_OVERHEAD_BYTES = 4_096;
/** Mutations one insert commit carries at most (KV allows 1,000). */
const COMMIT_MUTATIONS = 800;
/** Mutations a lead brings besides its timeline records (lead, 2 indexes, change, 3 for a job). */
const PER_LEAD_MUTATIONS = 8;
/**
 * A lead stored with its timeline inline (before the timeline had records) moves it into records
 * at its next write when it has at most this many events; longer ones stay inline and are read
 * from there, so one write never nears KV's 1,000 mutations per commit.
 */
const INLINE_TIMELINE_MIGRATE_MAX = 400;
/** KV reads at most 10 keys per getMany. */
const GET_MANY_MAX = 10;
const MAX_COMMIT_ATTEMPTS = 20;
/**
 * Updates one commit carries at most: each brings a check of its lead, and often one more from
 * onCommit (a job's claim), against KV's 100 checks per commit.
 */
const UPDATES_PER_COMMIT = 25;
/** Leadgen ids this process knows are stored, kept to answer repeats without a read. */
const RECENT_LEADGEN_IDS = 50_000;
/** Leads this process wrote last, kept with their versionstamps so an update needs no read. */
const RECENT_LEADS = 5_000;
/** Change records this process wrote last, kept so that readers of the log need no list. */
const RECENT_CHANGES = 10_000;

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

interface UpdateRequest {
  kind: "update";
  id: string;
  mutate: (lead: Lead) => Lead | null;
  onCommit?: OnLeadCommit;
  resolve(lead: Lead | null): void;
  reject(error: unknown): void;
}

/** A request's `extra`, waiting for a commit. */
interface PendingExtra {
  kind: "extra";
  request: InsertRequest;
  extra: ExtraWrite;
}

/** An item of an insert commit: a lead or a request's extra records. */
type PendingItem = PendingInsert | PendingExtra;

interface PendingInsert {
  kind: "lead";
  request: InsertRequest;
  lead: Lead;
  /** What goes to `["leads", id]`: the lead fitted to one KV value, without timeline events. */
  record: Lead;
  /** Its size in KV. */
  bytes: number;
  /** The timeline events to record with it. */
  events: LeadTimelineEvent[];
  /** True when its answers were shortened to fit. */
  shortened: boolean;
}

/** A lead ready for its commit. */
interface PreparedLead {
  record: Lead;
  bytes: number;
  events: LeadTimelineEvent[];
  shortened: boolean;
}

/**
 * Make the lead store over `kv`. It is an object rather than plain functions because it owns the
 * serial writer: in one process all writes queue up, and inserts that arrive together share
 * commits (group commit) instead of fighting over the change head. Across processes every commit
 * checks the head's versionstamp and retries, so seqs stay gap-free and strictly increasing.
 */
export function createLeadStore(kv: Deno.Kv, options: LeadStoreOptions = {}): LeadStore {
  const retentionMs = options.changeRetentionMs ?? 7 * DAY_MS;
  const leadsPerCommit = Math.max(1, Math.min(options.leadsPerCommit ?? 40, 90));
  const now = options.now ?? (() => new Date());
  const queue: (InsertRequest | UpdateRequest)[] = [];
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
   * lead first, and reads only when that check fails (someone else wrote it).
   */
  const recentLeads = new Map<string, { value: Lead; versionstamp: string }>();

  function rememberLead(record: Lead, versionstamp: string) {
    recentLeads.delete(record.id);
    // Kept as is, not copied: leads the store hands out are read-only (see LeadStore).
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

  function schedule(request: InsertRequest | UpdateRequest) {
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
    }
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
        let prepared: PreparedLead;
        try {
          prepared = prepareLead(lead, []);
        } catch (error) {
          // One lead that cannot be stored never stops the others.
          request.result.failed.push({ lead, error: asError(error) });
          continue;
        }
        pending.push({ kind: "lead", request, lead, ...prepared });
      }
      if (request.extra) pending.push({ kind: "extra", request, extra: request.extra });
    }
    // No read before the commit: each new lead's commit checks that its leadgen key is absent,
    // and a commit that fails on a repeat from another process (or from before a restart) reads
    // the keys then and goes again without it.
    let size = leadsPerCommit;
    let start = 0;
    while (start < pending.length) {
      const end = chunkEnd(pending, start, size);
      const chunk = pending.slice(start, end).filter((item) => !item.request.error);
      try {
        if (chunk.length > 0) await commitInserts(chunk);
        start = end;
      } catch (error) {
        // A commit over KV's limits (or one lead's own failing check) throws: narrow it down, and
        // a single lead that still fails is reported alone while the others go on.
        if (chunk.length > 1) size = Math.ceil(chunk.length / 2);
        else {
          if (chunk.length === 1) {
            const item = chunk[0];
            if (item.kind === "lead") {
              item.request.result.failed.push({ lead: item.lead, error: asError(error) });
            } else item.request.result.extraError = asError(error);
          }
          start = end;
        }
      }
    }
  }

  /** Where the commit that starts at `start` ends: at most `size` leads, within KV's limits. */
  function chunkEnd(pending: PendingItem[], start: number, size: number): number {
    let bytes = 0;
    let mutations = 0;
    let end = start;
    while (end < pending.length && end - start < size) {
      const item = pending[end];
      if (item.kind === "lead") {
        bytes += item.bytes + PER_LEAD_OVERHEAD_BYTES;
        mutations += PER_LEAD_MUTATIONS + item.events.length + (item.shortened ? 2 : 0);
      } else {
        bytes += item.extra.bytes;
        mutations += item.extra.mutations;
      }
      if (end > start && (bytes > COMMIT_VALUE_BYTES || mutations > COMMIT_MUTATIONS)) break;
      end++;
    }
    return end;
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
      const nowDate = now();
      const at = nowDate.toISOString();
      let seq = head?.seq ?? 0;
      const op = kv.atomic();
      const changes: LeadChangeRecord[] = [];
      for (const item of chunk) {
        if (item.kind === "extra") {
          item.extra.write(op);
          continue;
        }
        const { request, record, events, shortened } = item;
        seq++;
        changes.push({ seq, leadId: record.id, kind: "created", at });
        op.set(leadKey(record.id), record);
        if (record.leadgenId !== null) {
          op.check({ key: leadByLeadgenKey(record.leadgenId), versionstamp: null })
            .set(leadByLeadgenKey(record.leadgenId), record.id);
        }
        op.set(leadByCreatedKey(Date.parse(record.createdTime), record.id), record.id);
        addTimelineEvents(op, record.id, events, nowDate.getTime());
        if (shortened) addShortenedAlert(op, record, at);
        setChange(op, changes.at(-1)!);
        request.onCommit?.(op, record);
      }
      if (head) op.check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp });
      if (head) op.set(leadChangesHeadKey(), seq);
      let res: Deno.KvCommitResult | Deno.KvCommitError;
      try {
        res = await commitAtomic(op);
      } catch (error) {
        cachedHead = null;
        throw error;
      }
      if (res.ok) {
        if (head) cachedHead = { seq, versionstamp: res.versionstamp };
        changes.forEach(rememberChange);
        for (const { request, record, events } of leads) {
          request.result.inserted.push({ ...record, timeline: events });
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
      // Lost a race: another writer stored some of these leads or moved the head.
      cachedHead = null;
      const remaining = await dropStored(chunk);
      if (remaining.length === 0) return;
      if (remaining.length === chunk.length) {
        const headNow = await kv.get<number>(leadChangesHeadKey());
        if (head === null || headNow.versionstamp === head.versionstamp) {
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

  /** Adds one update's writes (not its onCommit) to `op`. */
  function addUpdate(
    op: Deno.AtomicOperation,
    stored: Deno.KvEntry<Lead>,
    prepared: PreparedLead,
    seq: number,
    nowDate: Date,
  ): LeadChangeRecord {
    const { record, events, shortened } = prepared;
    const id = record.id;
    const at = nowDate.toISOString();
    op.check(stored).set(leadKey(id), record);
    const oldCreated = Date.parse(stored.value.createdTime);
    const newCreated = Date.parse(record.createdTime);
    if (oldCreated !== newCreated) {
      op.delete(leadByCreatedKey(oldCreated, id)).set(leadByCreatedKey(newCreated, id), id);
    }
    addTimelineEvents(op, id, events, nowDate.getTime());
    if (shortened) addShortenedAlert(op, record, at);
    const change: LeadChangeRecord = { seq, leadId: id, kind: "updated", at };
    setChange(op, change);
    return change;
  }

  /**
   * Writes updates that queued up together: those of distinct leads share commits (group
   * commit); a second update of the same lead waits for the first. A shared commit that fails
   * (a lead changed meanwhile, a check from onCommit) falls back to one commit per update.
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
      for (let i = 0; i < round.length; i += UPDATES_PER_COMMIT) {
        await commitUpdates(round.slice(i, i + UPDATES_PER_COMMIT));
      }
      rest = later;
    }
  }

  async function commitUpdates(chunk: UpdateRequest[]) {
    if (chunk.length === 1) return await updateAlone(chunk[0]);
    // Until each request is sorted out below, all of them are left to try alone.
    let fallback: UpdateRequest[] = chunk;
    try {
      const [entries, head] = await Promise.all([
        readLeadEntries(chunk.map((request) => request.id)),
        readHead(),
      ]);
      const nowDate = now();
      const at = nowDate.toISOString();
      const ready: { request: UpdateRequest; prepared: PreparedLead; entry: Deno.KvEntry<Lead> }[] =
        [];
      let bytes = 0;
      let mutations = 0;
      chunk.forEach((request, i) => {
        const entry = entries[i];
        try {
          if (entry.value === null) throw new LeadNotFoundError(request.id);
          const prepared = applyUpdate(request, entry.value, at);
          if (prepared === null) return request.resolve(null);
          bytes += prepared.bytes + PER_LEAD_OVERHEAD_BYTES;
          mutations += PER_LEAD_MUTATIONS + prepared.events.length;
          ready.push({ request, prepared, entry: entry as Deno.KvEntry<Lead> });
        } catch (error) {
          request.reject(error);
        }
      });
      if (ready.length === 0) return;
      fallback = ready.map((item) => item.request);
      if (bytes > COMMIT_VALUE_BYTES || mutations > COMMIT_MUTATIONS) {
        throw new Error("too large for one commit");
      }
      let seq = head.seq;
      const op = kv.atomic();
      const changes: LeadChangeRecord[] = [];
      for (const { request, prepared, entry } of ready) {
        changes.push(addUpdate(op, entry, prepared, ++seq, nowDate));
        request.onCommit?.(op, prepared.record);
      }
      op.check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp })
        .set(leadChangesHeadKey(), seq);
      const res = await commitAtomic(op);
      if (!res.ok) throw new Error("a check failed");
      cachedHead = { seq, versionstamp: res.versionstamp };
      changes.forEach(rememberChange);
      fallback = [];
      for (const { request, prepared: { record, events } } of ready) {
        rememberLead(record, res.versionstamp);
        request.resolve({ ...record, timeline: [...record.timeline, ...events] });
      }
    } catch {
      // Whatever went wrong together is tried one by one, each settling with its own outcome.
      cachedHead = null;
      for (const request of chunk) recentLeads.delete(request.id);
      for (const request of fallback) await updateAlone(request);
    }
  }

  async function updateAlone(request: UpdateRequest) {
    await writeUpdate(request).then(request.resolve, request.reject);
  }

  async function writeUpdate(request: UpdateRequest): Promise<Lead | null> {
    const { id, onCommit } = request;
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const [[entry], head] = await Promise.all([readLeadEntries([id]), readHead()]);
      if (entry.value === null) throw new LeadNotFoundError(id);
      const nowDate = now();
      const prepared = applyUpdate(request, entry.value, nowDate.toISOString());
      if (prepared === null) return null;
      const seq = head.seq + 1;
      const op = kv.atomic().check({ key: leadChangesHeadKey(), versionstamp: head.versionstamp });
      const change = addUpdate(op, entry as Deno.KvEntry<Lead>, prepared, seq, nowDate);
      op.set(leadChangesHeadKey(), seq);
      onCommit?.(op, prepared.record);
      const res = await commitAtomic(op);
      if (res.ok) {
        cachedHead = { seq, versionstamp: res.versionstamp };
        rememberChange(change);
        rememberLead(prepared.record, res.versionstamp);
        const { record, events } = prepared;
        return { ...record, timeline: [...record.timeline, ...events] };
      }
      // Read both afresh next time: one of them changed under us.
      cachedHead = null;
      recentLeads.delete(id);
      await delay(Math.random() * attempt * 2);
    }
    throw new Error(
      `Cannot update lead ${id}: it or the change head kept changing for ${MAX_COMMIT_ATTEMPTS} attempts`,
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
    let base: Lead = { ...lead, timeline: migrate ? [] : inline };
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

  return {
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

    updateLead(id, mutate, updateOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({ kind: "update", id, mutate, onCommit: updateOptions.onCommit, resolve, reject });
      });
    },

    async getLead(id) {
      return (await kv.get<Lead>(leadKey(id))).value;
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
      return { lead, timeline: await listTimelineEvents(kv, lead, listOptions) };
    },

    async getLeadByLeadgenId(leadgenId) {
      const id = (await kv.get<string>(leadByLeadgenKey(leadgenId))).value;
      return id === null ? null : (await kv.get<Lead>(leadKey(id))).value;
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
      records.forEach((record, i) => {
        const lead = leads[i];
        if (lead) changes.push({ seq: record.seq, kind: record.kind, lead });
      });
      return { changes, head, gap: (records[0]?.seq ?? head + 1) !== since + 1 };
    },

    async getChangeHead() {
      return (await kv.get<number>(leadChangesHeadKey())).value ?? 0;
    },
  };

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
    return (await readLeadEntries(ids)).map((entry) => entry.value);
  }

  async function readLeads(ids: string[]): Promise<(Lead | null)[]> {
    const entries = await getManyChunked<Lead>(kv, ids.map(leadKey));
    return entries.map((entry) => entry.value);
  }
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
  if (!match) throw new TypeError(`Cannot list leads: cursor "${cursor}" is not one we gave out`);
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
