// The lead store over Deno KV: deduped inserts, updates and a change log, all through one serial writer.

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
import type { Lead } from "./model.ts";

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

/** What `insertLeads` did with each lead it was given. */
export interface InsertLeadsResult {
  /** Leads now stored, as given. */
  inserted: Lead[];
  /** Leads given whose leadgenId was already stored (or repeated in the input); nothing was written. */
  duplicates: Lead[];
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
  /** Store new leads, deduped by leadgenId within the batch and against KV. */
  insertLeads(
    leads: Lead[],
    options?: { onCommit?: OnLeadCommit },
  ): Promise<InsertLeadsResult>;
  /** Change one lead; `mutate` returns the new lead or null for "no change". */
  updateLead(
    id: string,
    mutate: (lead: Lead) => Lead | null,
    options?: { onCommit?: OnLeadCommit },
  ): Promise<Lead | null>;
  /** The lead with our id, or null. */
  getLead(id: string): Promise<Lead | null>;
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
    super(`Cannot update lead ${id}: no lead has that id`);
    this.name = "LeadNotFoundError";
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** KV refuses values over 65,536 bytes; our JSON estimate keeps a margin for V8's encoding. */
const MAX_LEAD_BYTES = 60_000;
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
        pending.push({ request, lead });
      }
    }
    pending = await dropStored(pending);
    let size = leadsPerCommit;
    let start = 0;
    while (start < pending.length) {
      const chunk = pending.slice(start, start + size).filter((item) => !item.request.error);
      try {
        if (chunk.length > 0) await commitInserts(chunk);
        start += size;
      } catch (error) {
        // A commit over KV's limits (or one lead's own failing check) throws: narrow it down.
        if (chunk.length > 1) size = Math.ceil(chunk.length / 2);
        else {
          chunk[0].request.error = error;
          start += size;
        }
      }
    }
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
      const at = now().toISOString();
      let seq = head.value ?? 0;
      const op = kv.atomic().check(head);
      for (const { request, lead } of chunk) {
        seq++;
        op.set(leadKey(lead.id), lead);
        if (lead.leadgenId !== null) {
          op.check({ key: leadByLeadgenKey(lead.leadgenId), versionstamp: null })
            .set(leadByLeadgenKey(lead.leadgenId), lead.id);
        }
        op.set(leadByCreatedKey(Date.parse(lead.createdTime), lead.id), lead.id);
        setChange(op, { seq, leadId: lead.id, kind: "created", at });
        request.onCommit?.(op, lead);
      }
      op.set(leadChangesHeadKey(), seq);
      if ((await commitAtomic(op)).ok) {
        for (const { request, lead } of chunk) request.result.inserted.push(lead);
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
      const at = now().toISOString();
      const lead: Lead = { ...changed, updatedAt: at };
      assertLeadStorable(lead);
      const seq = (head.value ?? 0) + 1;
      const op = kv.atomic().check(entry).check(head).set(leadKey(id), lead);
      const oldCreated = Date.parse(entry.value.createdTime);
      const newCreated = Date.parse(lead.createdTime);
      if (oldCreated !== newCreated) {
        op.delete(leadByCreatedKey(oldCreated, id)).set(leadByCreatedKey(newCreated, id), id);
      }
      setChange(op, { seq, leadId: id, kind: "updated", at });
      op.set(leadChangesHeadKey(), seq);
      onCommit?.(op, lead);
      if ((await commitAtomic(op)).ok) return lead;
      await delay(Math.random() * attempt * 2);
    }
    throw new Error(
      `Cannot update lead ${id}: it or the change head kept changing for ${MAX_COMMIT_ATTEMPTS} attempts`,
    );
  }

  return {
    insertLeads(leads, insertOptions = {}) {
      return new Promise((resolve, reject) => {
        try {
          leads.forEach(assertLeadStorable);
        } catch (error) {
          return reject(error);
        }
        schedule({
          kind: "insert",
          leads,
          onCommit: insertOptions.onCommit,
          result: { inserted: [], duplicates: [] },
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
      return (await kv.get<Lead>(leadKey(id))).value;
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
        if (lead) changes.push({ seq: record.seq, kind: record.kind, lead });
      });
      return { changes, head, gap: (records[0]?.seq ?? head + 1) !== since + 1 };
    },

    async getChangeHead() {
      return (await kv.get<number>(leadChangesHeadKey())).value ?? 0;
    },
  };

  async function readLeads(ids: string[]): Promise<(Lead | null)[]> {
    const entries = await getManyChunked<Lead>(kv, ids.map(leadKey));
    return entries.map((entry) => entry.value);
  }
}

/** Throws when a lead cannot be stored as it is: bad id or times, or too large for one KV value. */
function assertLeadStorable(lead: Lead) {
  if (!isUlid(lead.id)) throw new TypeError(`Cannot store lead: id "${lead.id}" is not a ULID`);
  if (isNaN(Date.parse(lead.createdTime))) {
    throw new TypeError(
      `Cannot store lead ${lead.id}: createdTime "${lead.createdTime}" is not a date`,
    );
  }
  const bytes = new TextEncoder().encode(JSON.stringify(lead)).length;
  if (bytes > MAX_LEAD_BYTES) {
    throw new RangeError(
      `Cannot store lead ${lead.id}: it takes ${bytes} bytes, over the ${MAX_LEAD_BYTES} allowed per lead`,
    );
  }
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
