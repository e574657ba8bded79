// Removes one lead and every key kept for it (right to erasure, retention): one way for both.

import { ALERT_KINDS, alertsHeadKey, leadAlertKey } from "../alerts.ts";
import { CAPI_REPORTS_PREFIX } from "../capi/keys.ts";
import { ulid } from "../ids.ts";
import { jobDueKey, JOBS_FAILED_PREFIX, JOBS_PREFIX } from "../jobs/keys.ts";
import { commitAtomic } from "../kv_commit.ts";
import {
  addCommitSize,
  emptyCommitSize,
  fitsInCommit,
  KV_COMMIT_LIMITS,
  kvKeySize,
} from "../kv_writes.ts";
import { leadEventCursorKey } from "../lead_events/keys.ts";
import { sweepFoundPrefix } from "../meta_health/keys.ts";
import { deliveriesPrefix, DESTINATIONS_PREFIX, laneKey } from "../outbound/keys.ts";
import { leadNotifiedKey, PUSH_PROGRESS_PREFIX } from "../push/keys.ts";
import { contactKeysOf, leadByEmailKey, leadByPhoneKey } from "./contact_index.ts";
import { indexKeysOf } from "./indexes.ts";
import {
  leadActivitiesPrefix,
  leadByCreatedKey,
  leadByLeadgenKey,
  leadKey,
  leadTimelinePrefix,
} from "./keys.ts";
import { webhookDuplicateKey } from "./late_webhooks.ts";
import type { Lead, LeadSource } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** How long after a lead's last write outbound webhook deliveries of it may still be kept. */
const OUTBOUND_LOG_HORIZON_MS = 40 * 24 * 60 * 60 * 1000;

/** Why a lead is being removed. */
export type ErasureReason = "erasure" | "retention";

/**
 * `["lead_erasures", leadId]` -> LeadErasure: a removal whose lead record is gone but whose other
 * records may not all be yet. Written in the commit that removes the record and deleted once the
 * rest is gone, so a crash in between is finished by the next pass (finishPendingErasures).
 */
export function leadErasureKey(leadId: string): Deno.KvKey {
  return ["lead_erasures", leadId];
}

/** The prefix of every `leadErasureKey`. */
export const LEAD_ERASURES_PREFIX: Deno.KvKey = ["lead_erasures"];

/**
 * `["lead_erasure_audit", id]` -> ErasureAudit: who erased which lead and when, without any of
 * the lead's personal data. The id is a ULID, so the entries list oldest first.
 */
export function erasureAuditKey(id: string): Deno.KvKey {
  return ["lead_erasure_audit", id];
}

/** The prefix of every `erasureAuditKey`. */
export const ERASURE_AUDIT_PREFIX: Deno.KvKey = ["lead_erasure_audit"];

/** What is left of a lead while its records are removed: what finds them, for a while. */
export interface LeadErasure {
  leadId: string;
  leadgenId: string | null;
  pageId: string | null;
  reason: ErasureReason;
  /** ISO 8601: when the lead record was removed. */
  removedAt: string;
  /** ISO 8601: the lead's last write (every event of it came with one), if known. */
  updatedAt?: string;
  /** Keys computed from the lead's answers (the contact index): only the record could give them. */
  keys: Deno.KvKey[];
}

/** The audit entry an erasure leaves: no name, email, phone or answer of the lead. */
export interface ErasureAudit {
  id: string;
  leadId: string;
  source: LeadSource;
  formId: string | null;
  pageId: string | null;
  /** ISO 8601. */
  erasedAt: string;
  /** The admin who erased it. */
  erasedBy: { id: string; name: string };
}

/** Options of the removal functions. */
export interface EraseLeadOptions {
  /** The country hand-entered national numbers were read in (the contact index's keys). */
  defaultCountry: string | null;
  /** Clock (default the real one). */
  now?: () => Date;
}

/** What `eraseLead` did. */
export interface EraseLeadResult {
  /** The lead as it was. */
  lead: Lead;
  /** The audit entry left, for an erasure; null for a retention purge. */
  audit: ErasureAudit | null;
  /** Keys deleted beside the record and its index keys (timeline, activities, jobs ...). */
  keysDeleted: number;
}

/**
 * Every key that holds something of the lead, as stored now: its record, dedupe, created and
 * derived index keys (taken from lib/leads/indexes.ts, so any index kind added there is covered),
 * and every record kept beside it (see listLeadRecordKeys). What erasure and retention delete;
 * tests hold it against a scan of the whole store.
 */
export async function listLeadKeys(
  kv: Deno.Kv,
  lead: Lead,
  options: EraseLeadOptions,
): Promise<Deno.KvKey[]> {
  const own: Deno.KvKey[] = [
    leadKey(lead.id),
    leadByCreatedKey(Date.parse(lead.createdTime), lead.id),
    ...(lead.leadgenId !== null ? [leadByLeadgenKey(lead.leadgenId)] : []),
    ...indexKeysOf(lead),
  ];
  return uniqueKeys([
    ...own,
    ...await listLeadRecordKeys(kv, erasureMarkerOf(lead, "erasure", options)),
  ]);
}

/**
 * Removes lead `id` and every key kept for it: first the record with its index keys, the waiting
 * count and a `deleted` change (one commit through the store, so every dashboard drops it and no
 * write can add to it afterwards), with a marker to finish from and, for an erasure by `by`, an
 * audit entry; then every other record of it in commits within KV's limits; then the marker.
 * Resolves with null when no lead has that id. A crash part way leaves the marker, which
 * finishPendingErasures picks up.
 */
export async function eraseLead(
  kv: Deno.Kv,
  store: LeadStore,
  id: string,
  options: EraseLeadOptions & {
    reason: ErasureReason;
    /** The admin erasing it (an erasure leaves an audit entry naming them). */
    by?: { id: string; name: string };
  },
): Promise<EraseLeadResult | null> {
  const now = options.now ?? (() => new Date());
  let erasure: LeadErasure | null = null;
  let audit: ErasureAudit | null = null;
  const removed = await store.removeLead(id, {
    onCommit(op, lead) {
      erasure = erasureMarkerOf(lead, options.reason, options);
      op.set(leadErasureKey(lead.id), erasure);
      // Its alerts (e.g. "too large to store whole" names the person) go with it, at once.
      for (const kind of ALERT_KINDS) op.delete(leadAlertKey(kind, lead.id));
      op.sum(alertsHeadKey(), 1n);
      audit = options.by
        ? {
          id: ulid(now().getTime()),
          leadId: lead.id,
          source: lead.source,
          formId: lead.formId,
          pageId: lead.pageId,
          erasedAt: now().toISOString(),
          erasedBy: { id: options.by.id, name: options.by.name },
        }
        : null;
      if (audit) op.set(erasureAuditKey(audit.id), audit);
    },
  });
  if (removed === null || erasure === null) return null;
  const keysDeleted = await finishErasure(kv, erasure);
  return { lead: removed, audit, keysDeleted };
}

/**
 * Finishes removals a crash interrupted (their markers), at most `limit` of them; resolves with
 * how many it finished. Idempotent: deleting what is already gone changes nothing.
 */
export async function finishPendingErasures(kv: Deno.Kv, limit = 100): Promise<number> {
  let finished = 0;
  for await (const entry of kv.list<LeadErasure>({ prefix: LEAD_ERASURES_PREFIX }, { limit })) {
    await finishErasure(kv, entry.value);
    finished++;
  }
  return finished;
}

/** The audit entries of erasures, newest first, at most `limit`. */
export async function listErasureAudit(kv: Deno.Kv, limit = 20): Promise<ErasureAudit[]> {
  const entries: ErasureAudit[] = [];
  for await (
    const entry of kv.list<ErasureAudit>({ prefix: ERASURE_AUDIT_PREFIX }, {
      limit,
      reverse: true,
    })
  ) entries.push(entry.value);
  return entries;
}

/**
 * The keys of the records kept beside a lead (not its record and index keys): its timeline and
 * activities, contact index keys, late-webhook note, lead event cursor, push note, Conversions API
 * reports, outbound webhook lanes and deliveries, jobs (waiting, failed, their due entries and push
 * progress) that carry it, and sweep notes of its page. Records found by their contents are read
 * from folders that hold only what is pending or recent, never from every lead.
 */
export async function listLeadRecordKeys(
  kv: Deno.Kv,
  erasure: LeadErasure,
): Promise<Deno.KvKey[]> {
  const { leadId, leadgenId, pageId } = erasure;
  const keys: Deno.KvKey[] = [...erasure.keys, leadEventCursorKey(leadId), leadNotifiedKey(leadId)];
  if (leadgenId !== null) keys.push(webhookDuplicateKey(leadgenId));
  const listKeys = async (prefix: Deno.KvKey, keep: (entry: Deno.KvEntry<unknown>) => boolean) => {
    for await (const entry of kv.list({ prefix })) if (keep(entry)) keys.push(entry.key);
  };
  const all = () => true;
  await listKeys(leadTimelinePrefix(leadId), all);
  await listKeys(leadActivitiesPrefix(leadId), all);
  await listKeys([...CAPI_REPORTS_PREFIX, leadId], all);
  if (pageId !== null) await listKeys(sweepFoundPrefix(pageId), (e) => e.key[3] === leadId);
  const mentions = (value: unknown) => {
    const text = JSON.stringify(value) ?? "";
    return text.includes(leadId) || (leadgenId !== null && text.includes(`"${leadgenId}"`));
  };
  // Outbound deliveries are kept 30 days after they finish (at most a week after their event): a
  // lead last written longer ago than that has none left, and a retention pass over many old leads
  // need not read every destination's log for each.
  const lastWrite = Date.parse(erasure.updatedAt ?? "");
  const recent = !(Date.parse(erasure.removedAt) - lastWrite > OUTBOUND_LOG_HORIZON_MS);
  for await (const destination of kv.list({ prefix: DESTINATIONS_PREFIX })) {
    const destinationId = destination.key[1] as string;
    keys.push(laneKey(destinationId, leadId));
    if (recent) await listKeys(deliveriesPrefix(destinationId), (e) => mentions(e.value));
  }
  for await (const entry of kv.list<{ id: string; dueAt: number }>({ prefix: JOBS_PREFIX })) {
    if (!mentions(entry.value)) continue;
    keys.push(entry.key, jobDueKey(entry.value.dueAt, entry.value.id));
  }
  await listKeys(JOBS_FAILED_PREFIX, (e) => mentions(e.value));
  await listKeys(PUSH_PROGRESS_PREFIX, (e) => mentions(e.key) || mentions(e.value));
  return uniqueKeys(keys);
}

/** Deletes the records of a removal (see listLeadRecordKeys), then its marker; returns how many. */
async function finishErasure(kv: Deno.Kv, erasure: LeadErasure): Promise<number> {
  const keys = await listLeadRecordKeys(kv, erasure);
  await deleteKeys(kv, [...keys, leadErasureKey(erasure.leadId)]);
  return keys.length;
}

/** Deletes `keys` in as few commits as KV's limits allow. */
async function deleteKeys(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<void> {
  let op = kv.atomic();
  let size = emptyCommitSize();
  let pending = 0;
  for (const key of keys) {
    const bytes = kvKeySize(key);
    const next = addCommitSize({ ...size }, {
      checks: 0,
      mutations: 1,
      mutationBytes: bytes,
      keyBytes: 0,
    });
    if (pending > 0 && !fitsInCommit(next, KV_COMMIT_LIMITS)) {
      await commitDeletes(op);
      op = kv.atomic();
      size = emptyCommitSize();
      pending = 0;
    }
    op.delete(key);
    size = addCommitSize(size, { checks: 0, mutations: 1, mutationBytes: bytes, keyBytes: 0 });
    pending++;
  }
  if (pending > 0) await commitDeletes(op);
}

async function commitDeletes(op: Deno.AtomicOperation) {
  const res = await commitAtomic(op);
  // Deletes carry no checks: a commit of them cannot fail but by throwing.
  if (!res.ok) throw new Error("Cannot remove a lead's records: the commit was refused");
}

/**
 * What a removal keeps of `lead` (in its marker) to find its records once the record is gone;
 * eraseLead writes it in the commit that removes the record.
 */
export function erasureMarkerOf(
  lead: Lead,
  reason: ErasureReason,
  options: EraseLeadOptions,
): LeadErasure {
  const keys: Deno.KvKey[] = [];
  // The index keys are normalised with the country of the time: try it and none.
  for (const country of new Set([options.defaultCountry, null])) {
    const contact = contactKeysOf(lead, country);
    if (contact.phone) keys.push(leadByPhoneKey(contact.phone, lead.id));
    if (contact.email) keys.push(leadByEmailKey(contact.email, lead.id));
  }
  return {
    leadId: lead.id,
    leadgenId: lead.leadgenId,
    pageId: lead.pageId,
    reason,
    removedAt: (options.now ?? (() => new Date()))().toISOString(),
    updatedAt: lead.updatedAt,
    keys: uniqueKeys(keys),
  };
}

function uniqueKeys(keys: Deno.KvKey[]): Deno.KvKey[] {
  const seen = new Map<string, Deno.KvKey>();
  for (const key of keys) {
    seen.set(JSON.stringify(key, (_, v) => typeof v === "bigint" ? `${v}n` : v), key);
  }
  return [...seen.values()];
}
