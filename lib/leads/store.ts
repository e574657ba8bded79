// The lead store over Deno KV: deduped inserts, updates and a change log, all through one serial writer.

import { addLeadAlert } from "../alerts.ts";
import { isUlid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
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
import { addDerivedWrites, INDEX_VERSION } from "./indexes.ts";
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
  kind: "created" | "updated";
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

/** The lead store: every write goes through one in-process serial writer (see createLeadStore). */
export interface LeadStore {
  /**
   * Store new leads, deduped by leadgenId within the batch and against KV, each with its timeline
   * events as records. A lead too large for one KV value is stored shortened (see fitLeadRecord)
   * with a `lead_truncated` alert; one that cannot be stored at all is reported in `failed` while
   * the others are stored. Rejects only when KV itself fails.
   */
  insertLeads(
    leads: Lead[],
    options?: { onCommit?: OnLeadCommit },
  ): Promise<InsertLeadsResult>;
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
/**
 * Mutations a lead brings besides its timeline records (lead, 2 indexes, change, 3 for a job, 5
 * derived index keys, a statistics bucket).
 */
const PER_LEAD_MUTATIONS = 14;
/**
 * A lead stored with its timeline inline (before the timeline had records) moves it into records
 * at its next write when it has at most this many events; longer ones stay inline and are read
 * from there, so one write never nears KV's 1,000 mutations per commit.
 */
const INLINE_TIMELINE_MIGRATE_MAX = 400;
/** KV reads at most 10 keys per getMany. */
const GET_MANY_MAX = 10;
const MAX_COMMIT_ATTEMPTS = 20;

interface InsertRequest {
  kind: "insert";
  leads: Lead[];
  onCommit?: OnLeadCommit;
  result: InsertLeadsResult;
  error: unknown;
  resolve(result: InsertLeadsResult): void;
  reject(error: unknown): void;
}

interface UpdateRequest {
  kind: "update";
  run(): Promise<Lead | null>;
  resolve(lead: Lead | null): void;
  reject(error: unknown): void;
}

interface PendingInsert {
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
      const first = queue[0];
      if (first.kind === "update") {
        queue.shift();
        await first.run().then(first.resolve, first.reject);
        continue;
      }
      const batch: InsertRequest[] = [];
      while (queue.length > 0 && queue[0].kind === "insert") {
        batch.push(queue.shift() as InsertRequest);
      }
      await writeInserts(batch).catch((error) => {
        for (const request of batch) request.error ??= error;
      });
      for (const request of batch) {
        if (request.error) request.reject(request.error);
        else request.resolve(request.result);
      }
    }
  }

  async function writeInserts(batch: InsertRequest[]) {
    const seen = new Set<string>();
    let pending: PendingInsert[] = [];
    for (const request of batch) {
      for (const lead of request.leads) {
        if (lead.leadgenId !== null) {
          if (seen.has(lead.leadgenId)) {
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
        pending.push({ request, lead, ...prepared });
      }
    }
    pending = await dropStored(pending);
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
            chunk[0].request.result.failed.push({ lead: chunk[0].lead, error: asError(error) });
          }
          start = end;
        }
      }
    }
  }

  /** Where the commit that starts at `start` ends: at most `size` leads, within KV's limits. */
  function chunkEnd(pending: PendingInsert[], start: number, size: number): number {
    let bytes = 0;
    let mutations = 0;
    let end = start;
    while (end < pending.length && end - start < size) {
      const item = pending[end];
      bytes += item.bytes + PER_LEAD_OVERHEAD_BYTES;
      mutations += PER_LEAD_MUTATIONS + item.events.length + (item.shortened ? 2 : 0);
      if (end > start && (bytes > COMMIT_VALUE_BYTES || mutations > COMMIT_MUTATIONS)) break;
      end++;
    }
    return end;
  }

  /** Moves leads whose leadgenId is already stored to their request's duplicates. */
  async function dropStored(items: PendingInsert[]): Promise<PendingInsert[]> {
    const withLeadgen = items.filter((item) => item.lead.leadgenId !== null);
    const entries = await getManyChunked<string>(
      kv,
      withLeadgen.map((item) => leadByLeadgenKey(item.lead.leadgenId!)),
    );
    const stored = new Set(
      withLeadgen.filter((_, i) => entries[i].versionstamp !== null).map((item) => item.lead),
    );
    for (const item of items) {
      if (stored.has(item.lead)) item.request.result.duplicates.push(item.lead);
    }
    return items.filter((item) => !stored.has(item.lead));
  }

  async function commitInserts(chunk: PendingInsert[]) {
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const head = await kv.get<number>(leadChangesHeadKey());
      const nowDate = now();
      const at = nowDate.toISOString();
      let seq = head.value ?? 0;
      const op = kv.atomic().check(head);
      for (const { request, record, events, shortened } of chunk) {
        seq++;
        op.set(leadKey(record.id), record);
        if (record.leadgenId !== null) {
          op.check({ key: leadByLeadgenKey(record.leadgenId), versionstamp: null })
            .set(leadByLeadgenKey(record.leadgenId), record.id);
        }
        op.set(leadByCreatedKey(Date.parse(record.createdTime), record.id), record.id);
        addTimelineEvents(op, record.id, events, nowDate.getTime());
        if (shortened) addShortenedAlert(op, record, at);
        setChange(op, { seq, leadId: record.id, kind: "created", at });
        request.onCommit?.(op, record);
      }
      await addDerivedWrites(kv, op, chunk.map(({ record }) => ({ before: null, after: record })));
      op.set(leadChangesHeadKey(), seq);
      if ((await commitAtomic(op)).ok) {
        for (const { request, record, events } of chunk) {
          request.result.inserted.push(served({ ...record, timeline: events }));
        }
        return;
      }
      // Lost a race: another writer stored some of these leads or moved the head.
      const remaining = await dropStored(chunk);
      if (remaining.length === 0) return;
      if (remaining.length === chunk.length) {
        const headNow = await kv.get<number>(leadChangesHeadKey());
        if (headNow.versionstamp === head.versionstamp) {
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

  async function writeUpdate(
    id: string,
    mutate: (lead: Lead) => Lead | null,
    onCommit?: OnLeadCommit,
  ): Promise<Lead | null> {
    for (let attempt = 1; attempt <= MAX_COMMIT_ATTEMPTS; attempt++) {
      const [entry, head] = await kv.getMany<[Lead, number]>([leadKey(id), leadChangesHeadKey()]);
      if (entry.value === null) throw new LeadNotFoundError(id);
      const changed = mutate(structuredClone(entry.value));
      if (changed === null) return null;
      if (changed.id !== id || changed.leadgenId !== entry.value.leadgenId) {
        throw new Error(`Cannot update lead ${id}: its id and leadgenId cannot change`);
      }
      const nowDate = now();
      const at = nowDate.toISOString();
      // `mutate` appends the events of its change to what the record held inline.
      const inline = entry.value.timeline ?? [];
      const { record, events, shortened } = prepareLead(
        { ...changed, updatedAt: at },
        inline,
      );
      const seq = (head.value ?? 0) + 1;
      const op = kv.atomic().check(entry).check(head).set(leadKey(id), record);
      const oldCreated = Date.parse(entry.value.createdTime);
      const newCreated = Date.parse(record.createdTime);
      if (oldCreated !== newCreated) {
        op.delete(leadByCreatedKey(oldCreated, id)).set(leadByCreatedKey(newCreated, id), id);
      }
      addTimelineEvents(op, id, events, nowDate.getTime());
      if (shortened) addShortenedAlert(op, record, at);
      setChange(op, { seq, leadId: id, kind: "updated", at });
      op.set(leadChangesHeadKey(), seq);
      await addDerivedWrites(kv, op, [{ before: entry.value, after: record }]);
      onCommit?.(op, record);
      if ((await commitAtomic(op)).ok) {
        return served({ ...record, timeline: [...record.timeline, ...events] });
      }
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

  return {
    insertLeads(leads, insertOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({
          kind: "insert",
          leads,
          onCommit: insertOptions.onCommit,
          result: { inserted: [], duplicates: [], failed: [] },
          error: undefined,
          resolve,
          reject,
        });
      });
    },

    updateLead(id, mutate, updateOptions = {}) {
      return new Promise((resolve, reject) => {
        schedule({
          kind: "update",
          run: () => writeUpdate(id, mutate, updateOptions.onCommit),
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
      return id === null ? null : served((await kv.get<Lead>(leadKey(id))).value);
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
      for await (const entry of kv.list<Lead>({ prefix: LEADS_PREFIX })) {
        if (entry.value.indexed === INDEX_VERSION) continue;
        try {
          // The same lead again: the write counts it in the indexes (see indexes.ts).
          await this.updateLead(entry.value.id, (lead) => lead);
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
      const head = (await kv.get<number>(leadChangesHeadKey())).value ?? 0;
      if (since >= head) return { changes: [], head, gap: false };
      const records: LeadChangeRecord[] = [];
      const iter = kv.list<LeadChangeRecord>(
        { start: leadChangeKey(since + 1), end: leadChangeKey(head + 1) },
        { limit: Math.max(1, Math.min(Math.floor(limit), 1000)) },
      );
      for await (const entry of iter) records.push(entry.value);
      const leads = await readLeads(records.map((record) => record.leadId));
      const changes: LeadChange[] = [];
      records.forEach((record, i) => {
        const lead = leads[i];
        if (lead) changes.push({ seq: record.seq, kind: record.kind, lead, at: record.at });
      });
      return { changes, head, gap: (records[0]?.seq ?? head + 1) !== since + 1 };
    },

    async getChangeHead() {
      return (await kv.get<number>(leadChangesHeadKey())).value ?? 0;
    },
  };

  async function readLeads(ids: string[]): Promise<(Lead | null)[]> {
    const entries = await getManyChunked<Lead>(kv, ids.map(leadKey));
    return entries.map((entry) => served(entry.value));
  }
}

/** A lead as the store hands it out: without its internal index marker. */
function served<T extends Lead | null>(lead: T): T {
  if (lead === null || lead.indexed === undefined) return lead;
  const { indexed: _indexed, ...rest } = lead;
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
