// Keeps the exact raw bytes of each signed webhook delivery in KV for a week, for audit and replay.

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
): { bytes: number; mutations: number; write(op: Deno.AtomicOperation): void } | null {
  if (built.chunks.length > INLINE_DELIVERY_CHUNKS) return null;
  const inline = built.chunks.length === 1;
  return {
    bytes: built.record.bytes + 1024,
    mutations: inline ? 1 : built.chunks.length + 1,
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
