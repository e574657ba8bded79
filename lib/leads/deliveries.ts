// Keeps the exact raw bytes of each signed webhook delivery in KV for a week, for audit and replay,
// and the metadata of refused ones (bad signature, too large) in a small ring.

import { createHash } from "node:crypto";
import { ulid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";

/** What happened to a delivery. */
export type DeliveryOutcome = "accepted" | "ignored" | "rejected";

/** The record of one delivery at `["webhook_deliveries", id]`; its body sits in chunks beside it. */
export interface DeliveryRecord {
  /** A ULID: deliveries list in arrival order. */
  id: string;
  /** ISO 8601 arrival time. */
  receivedAt: string;
  /** The request id of the webhook call, to find its log lines. */
  requestId: string | null;
  /** Body size in bytes. */
  bytes: number;
  /** Hex SHA-256 of the raw body. */
  sha256: string;
  /** Number of body chunks under `["webhook_delivery_chunks", id, i]` (or here, see `body`). */
  chunks: number;
  /**
   * The whole body, when it was kept in the record itself (a one-chunk delivery written in the
   * commit of its leads: one write instead of two); absent when it is in chunks.
   */
  body?: Uint8Array;
  outcome: DeliveryOutcome;
  /** Leadgen changes in the delivery. */
  leadgenChanges: number;
  /** Why it was rejected (400) or ignored; null when accepted. */
  reason: string | null;
  /** Replays by an admin, oldest first (at most the last 10). */
  replays?: DeliveryReplay[];
}

/** One replay of a kept delivery: who asked, and what ingestion did with the bytes again. */
export interface DeliveryReplay {
  /** ISO 8601. */
  at: string;
  /** The admin's name, or null when not known. */
  by: string | null;
  /** The request id of the replay, to find its log lines. */
  requestId: string | null;
  outcome: DeliveryOutcome;
  /** New leads the replay stored (0 when every lead was known: the dedupe makes replays safe). */
  inserted: number;
  duplicates: number;
}

/** Why a delivery was refused before anything was stored. */
export type RefusalReason = "missing" | "malformed" | "mismatch" | "too_large";

/**
 * A refused delivery at `["webhook_refusals", slot]`: metadata only, never the body (an unsigned
 * request's bytes are nobody's to keep).
 */
export interface RefusedDelivery {
  /** ISO 8601 arrival time. */
  receivedAt: string;
  requestId: string | null;
  reason: RefusalReason;
  /** Body size in bytes, or the Content-Length claimed when the body was too large to read. */
  bytes: number | null;
  /** The client address, as the webhook route saw it. */
  address: string | null;
  /** The User-Agent, cut to 120 characters. */
  userAgent: string | null;
}

/** What `saveDelivery` is told about a delivery. */
export interface NewDelivery {
  requestId: string | null;
  outcome: DeliveryOutcome;
  leadgenChanges: number;
  reason: string | null;
}

/** Options of the delivery log. */
export interface DeliveryLogOptions {
  /** How long deliveries are kept (default 7 days). */
  retentionMs?: number;
  now?: () => Date;
}

/** `["webhook_deliveries", id]` -> DeliveryRecord. */
export function deliveryKey(id: string): Deno.KvKey {
  return ["webhook_deliveries", id];
}

/** `["webhook_delivery_chunks", id, index]` -> up to CHUNK_BYTES of the raw body. */
export function deliveryChunkKey(id: string, index: number): Deno.KvKey {
  return ["webhook_delivery_chunks", id, index];
}

/** KV values may hold 65,536 bytes; a chunk stays clear of that. */
export const CHUNK_BYTES = 60 * 1024;
/** KV commits may hold 800 KiB in total; ten chunks (600 KiB) per commit stay clear of that. */
const CHUNKS_PER_COMMIT = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A delivery ready to write: its record and body chunks. */
export interface BuiltDelivery {
  record: DeliveryRecord;
  chunks: Uint8Array[];
  expireIn: number;
}

/** Builds a delivery's record (id, digest) and splits its body into KV-sized chunks. */
export function buildDelivery(
  body: Uint8Array,
  delivery: NewDelivery,
  options: DeliveryLogOptions = {},
): BuiltDelivery {
  const now = (options.now ?? (() => new Date()))();
  const expireIn = options.retentionMs ?? 7 * DAY_MS;
  const id = ulid(now.getTime());
  const count = Math.max(1, Math.ceil(body.byteLength / CHUNK_BYTES));
  const record: DeliveryRecord = {
    id,
    receivedAt: now.toISOString(),
    requestId: delivery.requestId,
    bytes: body.byteLength,
    // node:crypto hashes in this thread; WebCrypto's digest takes a trip to a worker thread.
    sha256: createHash("sha256").update(body).digest("hex"),
    chunks: count,
    outcome: delivery.outcome,
    leadgenChanges: delivery.leadgenChanges,
    reason: delivery.reason,
  };
  const chunks = Array.from(
    { length: count },
    (_, i) => body.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
  );
  return { record, chunks, expireIn };
}

/** Chunks of a delivery small enough to ride in the commit of its leads (240 KiB). */
export const INLINE_DELIVERY_CHUNKS = 4;

/**
 * The writes of a small delivery (at most INLINE_DELIVERY_CHUNKS chunks) for another commit to
 * carry, e.g. the one that stores its leads (see the lead store's `extra`); null when it is too
 * big and must be saved with saveDelivery. A one-chunk body (nearly every delivery) goes inside
 * the record: one write.
 */
export function deliveryWrites(
  built: BuiltDelivery,
): { write(op: Deno.AtomicOperation): void } | null {
  if (built.chunks.length > INLINE_DELIVERY_CHUNKS) return null;
  const inline = built.chunks.length === 1;
  return {
    write(op) {
      const { record, chunks, expireIn } = built;
      if (inline) {
        op.set(deliveryKey(record.id), { ...record, body: chunks[0] }, { expireIn });
        return;
      }
      chunks.forEach((part, i) => op.set(deliveryChunkKey(record.id, i), part, { expireIn }));
      op.set(deliveryKey(record.id), record, { expireIn });
    },
  };
}

/**
 * Why raw bytes and not parsed changes: the signature covers the exact bytes, so only they can be
 * re-verified, re-parsed by a fixed parser, or compared with what Meta says it sent. A typical
 * delivery is a few hundred bytes (one chunk); a 1 MiB batch takes 18 chunks written in two
 * commits. The record is written last, so a record always has its whole body. Accepted
 * deliveries are usually written in the commit of their leads instead (see deliveryWrites).
 */
export function saveDelivery(
  kv: Deno.Kv,
  body: Uint8Array,
  delivery: NewDelivery,
  options: DeliveryLogOptions = {},
): Promise<DeliveryRecord> {
  return writeDelivery(kv, buildDelivery(body, delivery, options));
}

/** Writes a built delivery in commits of its own (see saveDelivery). */
export async function writeDelivery(kv: Deno.Kv, built: BuiltDelivery): Promise<DeliveryRecord> {
  const { record, chunks, expireIn } = built;
  let op = kv.atomic();
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0 && i % CHUNKS_PER_COMMIT === 0) {
      await commitOrThrow(op, record.id);
      op = kv.atomic();
    }
    op.set(deliveryChunkKey(record.id, i), chunks[i], { expireIn });
  }
  op.set(deliveryKey(record.id), record, { expireIn });
  await commitOrThrow(op, record.id);
  return record;
}

async function commitOrThrow(op: Deno.AtomicOperation, id: string) {
  const res = await commitAtomic(op);
  if (!res.ok) throw new Error(`Cannot save webhook delivery ${id}: the commit was refused`);
}

/** The record and exact raw body of a kept delivery, or null when it expired or never existed. */
export async function readDelivery(
  kv: Deno.Kv,
  id: string,
): Promise<{ record: DeliveryRecord; body: Uint8Array } | null> {
  const record = (await kv.get<DeliveryRecord>(deliveryKey(id))).value;
  if (record === null) return null;
  if (record.body) {
    const { body: inline, ...rest } = record;
    return inline.byteLength === record.bytes ? { record: rest, body: inline } : null;
  }
  const body = new Uint8Array(record.bytes);
  let offset = 0;
  for await (const entry of kv.list<Uint8Array>({ prefix: ["webhook_delivery_chunks", id] })) {
    body.set(entry.value, offset);
    offset += entry.value.byteLength;
  }
  if (offset !== record.bytes) return null; // chunks expired a moment before the record
  return { record, body };
}

/** Kept deliveries, newest first. */
export async function listDeliveries(
  kv: Deno.Kv,
  options: { limit?: number } = {},
): Promise<DeliveryRecord[]> {
  const records: DeliveryRecord[] = [];
  const iter = kv.list<DeliveryRecord>({ prefix: ["webhook_deliveries"] }, {
    reverse: true,
    limit: Math.max(1, Math.min(options.limit ?? 50, 500)),
  });
  // The records without the bodies some of them hold (readDelivery gives a body).
  for await (const entry of iter) {
    const { body: _body, ...record } = entry.value;
    records.push(record);
  }
  return records;
}

/**
 * Records a replay on the delivery's record (keeping its expiry); false when the delivery expired.
 * At most the last 10 replays are kept.
 */
export async function recordReplay(
  kv: Deno.Kv,
  id: string,
  replay: DeliveryReplay,
  options: DeliveryLogOptions = {},
): Promise<boolean> {
  const retentionMs = options.retentionMs ?? 7 * DAY_MS;
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<DeliveryRecord>(deliveryKey(id));
    if (entry.value === null) return false;
    const expireIn = Date.parse(entry.value.receivedAt) + retentionMs - nowMs;
    if (expireIn <= 0) return false;
    const record: DeliveryRecord = {
      ...entry.value,
      replays: [...(entry.value.replays ?? []), replay].slice(-10),
    };
    const res = await commitAtomic(
      kv.atomic().check(entry).set(deliveryKey(id), record, { expireIn }),
    );
    if (res.ok) return true;
  }
  throw new Error(`Cannot record the replay of delivery ${id}: it kept changing for 10 attempts`);
}

/** How many refused deliveries are kept: a flood of forgeries overwrites the oldest. */
export const REFUSAL_SLOTS = 200;

/** `["webhook_refusals", slot]` -> RefusedDelivery; slots 0 … REFUSAL_SLOTS - 1 form a ring. */
export function refusalKey(slot: number): Deno.KvKey {
  return ["webhook_refusals", slot];
}

/** `["webhook_refusals_seq"]` -> Deno.KvU64 counting refusals; picks the next slot of the ring. */
export function refusalSeqKey(): Deno.KvKey {
  return ["webhook_refusals_seq"];
}

/**
 * Records a refused delivery's metadata in the ring of the last REFUSAL_SLOTS (kept 7 days). Two
 * small KV writes whatever the flood: the ring never grows.
 */
export async function recordRefusedDelivery(
  kv: Deno.Kv,
  refusal: Omit<RefusedDelivery, "receivedAt">,
  options: DeliveryLogOptions = {},
): Promise<void> {
  const now = (options.now ?? (() => new Date()))();
  await commitAtomic(kv.atomic().sum(refusalSeqKey(), 1n));
  const seq = (await kv.get<Deno.KvU64>(refusalSeqKey())).value?.value ?? 0n;
  const slot = Number(seq % BigInt(REFUSAL_SLOTS));
  const record: RefusedDelivery = {
    ...refusal,
    userAgent: refusal.userAgent?.slice(0, 120) ?? null,
    receivedAt: now.toISOString(),
  };
  await kv.set(refusalKey(slot), record, { expireIn: options.retentionMs ?? 7 * DAY_MS });
}

/** Refused deliveries, newest first. */
export async function listRefusedDeliveries(
  kv: Deno.Kv,
  options: { limit?: number } = {},
): Promise<RefusedDelivery[]> {
  const records: RefusedDelivery[] = [];
  for await (const entry of kv.list<RefusedDelivery>({ prefix: ["webhook_refusals"] })) {
    records.push(entry.value);
  }
  records.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
  return records.slice(0, Math.max(1, options.limit ?? 50));
}

/** One line of the deliveries log: a kept delivery (replayable) or a refused one (metadata only). */
export interface DeliveryLogEntry {
  /** ISO 8601 arrival time. */
  at: string;
  /** "ok" for a correct signature; otherwise why it was refused. */
  signature: "ok" | RefusalReason;
  /** Leadgen changes in the delivery; null when it was refused unread. */
  leads: number | null;
  /** What ingestion did: accepted, ignored, rejected (bad payload), or refused (no valid signature). */
  outcome: DeliveryOutcome | "refused";
  requestId: string | null;
  /** The kept delivery's id (replayable), or null for a refused one. */
  deliveryId: string | null;
  bytes: number | null;
  reason: string | null;
  replays: DeliveryReplay[];
}

/** The last `limit` deliveries (default 50), kept and refused together, newest first. */
export async function listDeliveryLog(
  kv: Deno.Kv,
  options: { limit?: number } = {},
): Promise<DeliveryLogEntry[]> {
  const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
  const [kept, refused] = await Promise.all([
    listDeliveries(kv, { limit }),
    listRefusedDeliveries(kv, { limit }),
  ]);
  const entries: DeliveryLogEntry[] = [
    ...kept.map((record) => ({
      at: record.receivedAt,
      signature: "ok" as const,
      leads: record.leadgenChanges,
      outcome: record.outcome,
      requestId: record.requestId,
      deliveryId: record.id,
      bytes: record.bytes,
      reason: record.reason,
      replays: record.replays ?? [],
    })),
    ...refused.map((record) => ({
      at: record.receivedAt,
      signature: record.reason,
      leads: null,
      outcome: "refused" as const,
      requestId: record.requestId,
      deliveryId: null,
      bytes: record.bytes,
      reason: record.address ? `from ${record.address}` : null,
      replays: [],
    })),
  ];
  return entries.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
}

/**
 * Deletes kept deliveries received before `before` (ms), oldest first, at most `limit` of them,
 * with their body chunks. Each delivery is also written with an expiry (`retentionMs`); this makes
 * the cut exact and prompt, whatever KV's expiry sweeper does. Resolves with how many it deleted.
 */
export async function deleteDeliveriesBefore(
  kv: Deno.Kv,
  before: number,
  limit = 500,
): Promise<number> {
  let deleted = 0;
  let op = kv.atomic();
  let mutations = 0;
  for await (
    const entry of kv.list<DeliveryRecord>({ prefix: ["webhook_deliveries"] }, { limit })
  ) {
    // Ids are ULIDs: the listing is in arrival order, and the first one young enough ends it.
    if (!(Date.parse(entry.value.receivedAt) < before)) break;
    const chunks = entry.value.body !== undefined ? 0 : entry.value.chunks;
    if (mutations + chunks + 1 > 500) {
      await commitAtomic(op);
      op = kv.atomic();
      mutations = 0;
    }
    op.delete(entry.key);
    for (let i = 0; i < chunks; i++) op.delete(deliveryChunkKey(entry.value.id, i));
    mutations += chunks + 1;
    deleted++;
  }
  if (mutations > 0) await commitAtomic(op);
  return deleted;
}
