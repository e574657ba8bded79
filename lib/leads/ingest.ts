// Webhook ingestion: verify a delivery's signature, parse it, store each new lead with its fetch job.

import {
  type LeadgenChange,
  parseWebhookDelivery,
  PayloadError,
  type RejectedChange,
} from "../facebook/payload.ts";
import { verifySignature } from "../facebook/signature.ts";
import { PermanentJobError } from "../jobs/errors.ts";
import {
  type ClaimedJob,
  COMPLETED_IN_COMMIT,
  type JobHandler,
  type JobQueue,
} from "../jobs/queue.ts";
import type { Logger } from "../log.ts";
import { webhookToStored } from "../metrics/app_metrics.ts";
import {
  buildDelivery,
  CHUNK_BYTES,
  type DeliveryOutcome,
  deliveryWrites,
  type NewDelivery,
  readDelivery,
  recordReplay,
  saveDelivery,
  writeDelivery,
} from "./deliveries.ts";
import { FETCH_LEAD_DETAILS, type FetchLeadDetailsPayload } from "./fetch_details.ts";
import {
  createWebhookInbox,
  type InboxOptions,
  type InboxPayload,
  newInboxId,
  WEBHOOK_INBOX,
  type WebhookInbox,
} from "./inbox.ts";
import { recordWebhookDuplicates } from "./late_webhooks.ts";
import { type Lead, newMetaLead } from "./model.ts";
import type { ExtraWrite, InsertLeadsResult, LeadStore } from "./store.ts";

/** What ingestion needs: the stores, the queue and the app secret that signs deliveries. */
export interface IngestDeps {
  kv: Deno.Kv;
  leads: LeadStore;
  jobs: JobQueue;
  /** The Meta app secret (HMAC key of X-Hub-Signature-256). */
  appSecret: string;
  log: Logger;
  /** Keep raw deliveries (default true); off only for benches. */
  keepDeliveries?: boolean;
  /** How long raw deliveries are kept (default 7 days). */
  deliveryRetentionMs?: number;
  now?: () => Date;
  /**
   * Starts reading a new Meta lead's answers from the Graph API while its commit is under way
   * (see createPrefetchingReader), for the fetch job that runs here once it is through.
   */
  prefetch?: (leadgenId: string, pageId: string) => void;
  /**
   * The webhook inbox (see createIngestion): under load a delivery is answered once it is durable
   * there, and its leads are stored right behind. Without one every delivery waits for its leads.
   */
  inbox?: LeadInbox;
}

/** What the inbox's processor stores: a delivery's lead stubs, parsed when it arrived. */
export interface QueuedDelivery {
  stubs: Lead[];
  requestId: string | null;
  /** performance.now() when it was parsed, to time it until its leads are stored. */
  parsedAt: number;
}

/** What storing a queued delivery did (for a webhook call that waits for it). */
export interface StoredDelivery {
  inserted: number;
  duplicates: number;
}

/** The webhook inbox as ingestion uses it. */
export type LeadInbox = WebhookInbox<QueuedDelivery, StoredDelivery>;

/**
 * The outcome of one delivery, each mapping to one HTTP status in the webhook route.
 *
 * A delivery that mixes good leadgen changes with malformed ones (a leadgen_id such as `1e5` or
 * `0123`, a value that is not an object) is "accepted": its good leads are committed and the bad
 * changes are listed in `rejected`, logged, and kept with the raw delivery for replay. Meta
 * retries anything but a 200 for 36 hours, so a delivery that carried leads we stored is never
 * refused. Only a delivery with no good change and some bad ones is "rejected" (400).
 */
export type IngestResult =
  | {
    /** Every good leadgen change is committed (new) or was already known (duplicate). */
    outcome: "accepted" | "ignored";
    leadgenChanges: number;
    inserted: number;
    duplicates: number;
    /** Change fields other than leadgen, or the object type when it is not "page". */
    ignored: string[];
    /** Malformed entries and changes that were left out (nothing of them is stored). */
    rejected: RejectedChange[];
    deliveryId: string | null;
  }
  | {
    /**
     * Durable in the webhook inbox and acknowledged before its leads are stored (many deliveries
     * were waiting): the inbox's processor stores them a moment later.
     */
    outcome: "queued";
    leadgenChanges: number;
    ignored: string[];
    rejected: RejectedChange[];
    deliveryId: string | null;
  }
  | { outcome: "unauthorized"; reason: "missing" | "malformed" | "mismatch" }
  | { outcome: "rejected"; reason: string; deliveryId: string | null };

/**
 * Ingests one webhook delivery from its exact raw bytes and its X-Hub-Signature-256 header.
 * A bad signature stores nothing. A signed delivery is kept (see saveDelivery) whatever its content;
 * its leadgen changes become lead stubs, each committed with its fetch job, and the fetch starts
 * at once in-process. While few deliveries wait (see `deps.inbox`), resolves only after every lead
 * of the delivery is committed; when many wait, once the delivery is durable in the inbox
 * ("queued"), its leads stored a moment later. A KV failure rejects (the caller answers 500 and
 * Meta retries, which the leadgen dedupe makes harmless).
 *
 * Per lead that is one share of a group commit (the leads of deliveries that arrive together,
 * their fetch jobs created already claimed by this process, and the raw deliveries), then the
 * Graph call, then one share of another group commit (the answers and the job's removal). Through
 * the inbox, one share of a commit of inbox records (each with its raw delivery) comes first.
 */
export async function ingestWebhook(
  deps: IngestDeps,
  rawBody: Uint8Array,
  signatureHeader: string | null,
  options: { requestId?: string } = {},
): Promise<IngestResult> {
  const requestId = options.requestId ?? null;
  const log = deps.log.child({ requestId });
  const check = await verifySignature(deps.appSecret, rawBody, signatureHeader);
  if (!check.ok) {
    log.warn("webhook refused: bad signature", { reason: check.reason, bytes: rawBody.byteLength });
    return { outcome: "unauthorized", reason: check.reason };
  }
  return await ingestVerified(deps, rawBody, requestId, true);
}

/**
 * Runs a kept delivery through ingestion again (its signature was checked when it arrived), e.g.
 * after a parser fix. Leads already stored are left alone. Null when the delivery has expired.
 */
export async function replayDelivery(
  deps: IngestDeps,
  deliveryId: string,
  options: { requestId?: string } = {},
): Promise<IngestResult | null> {
  const kept = await readDelivery(deps.kv, deliveryId);
  if (kept === null) return null;
  return await ingestVerified(deps, kept.body, options.requestId ?? null, false);
}

async function ingestVerified(
  deps: IngestDeps,
  rawBody: Uint8Array,
  requestId: string | null,
  keepCopy: boolean,
): Promise<IngestResult> {
  const log = deps.log.child({ requestId });
  const keep = (delivery: NewDelivery) =>
    keepCopy ? keepDelivery(deps, rawBody, delivery) : Promise.resolve(null);
  let delivery;
  try {
    delivery = parseWebhookDelivery(new TextDecoder().decode(rawBody));
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    log.warn("webhook refused: bad payload", { reason: error.reason });
    const deliveryId = await keep({
      requestId,
      outcome: "rejected",
      leadgenChanges: 0,
      reason: error.reason,
    });
    return { outcome: "rejected", reason: error.reason, deliveryId };
  }

  const ignored = delivery.object === "page"
    ? delivery.ignoredFields
    : [`object:${delivery.object}`];
  const rejected = delivery.rejected;
  if (rejected.length > 0) {
    log.warn("webhook changes refused: malformed", {
      rejected: rejected.slice(0, 20),
      count: rejected.length,
      goodChanges: delivery.leadgen.length,
    });
  }
  if (delivery.leadgen.length === 0 && rejected.length > 0) {
    // Nothing in it can ever be stored: refuse it, with the reason.
    const reason = rejected[0].reason +
      (rejected.length > 1 ? ` (and ${rejected.length - 1} more malformed)` : "");
    const deliveryId = await keep({ requestId, outcome: "rejected", leadgenChanges: 0, reason });
    return { outcome: "rejected", reason, deliveryId };
  }
  if (delivery.leadgen.length === 0) {
    log.info("webhook ignored", { object: delivery.object, ignored });
    const deliveryId = await keep({
      requestId,
      outcome: "ignored",
      leadgenChanges: 0,
      reason: `no leadgen changes (${ignored.join(", ") || "empty"})`,
    });
    return {
      outcome: "ignored",
      leadgenChanges: 0,
      inserted: 0,
      duplicates: 0,
      ignored,
      rejected,
      deliveryId,
    };
  }

  const now = (deps.now ?? (() => new Date()))();
  const stubs = delivery.leadgen.map((change) => newMetaLead(change, now));
  const outcome: DeliveryOutcome = "accepted";
  // The audit copy rides in the commit of the leads (or of the inbox record) when it is small
  // (it nearly always is); a big batch's copy is written beside them in commits of its own.
  const built = keepCopy && deps.keepDeliveries !== false
    ? buildDelivery(rawBody, {
      requestId,
      outcome,
      leadgenChanges: delivery.leadgen.length,
      reason: deliveryNote(ignored, rejected),
    }, { now: deps.now, retentionMs: deps.deliveryRetentionMs })
    : null;
  const inline = built ? deliveryWrites(built) : null;

  // Replays never go through the inbox: an admin waits for what they did.
  const inbox = keepCopy ? deps.inbox : undefined;
  // Through the inbox only what its record (with the kept copy) can hold in one shared commit.
  const fits = built ? inline !== null : rawBody.byteLength <= CHUNK_BYTES;
  const admission = inbox && fits ? inbox.admit() : "direct";
  if (inbox && admission !== "direct") {
    const deliveryId = built?.record.id ?? newInboxId();
    const accepted = await inbox.accept({
      id: deliveryId,
      payload: {
        deliveryId: built ? deliveryId : null,
        ...(built ? {} : { body: rawBody }),
        requestId,
        receivedAt: now.toISOString(),
      },
      copy: inline ?? undefined,
      bytes: rawBody.byteLength,
      delivery: { stubs, requestId, parsedAt: performance.now() },
    });
    const summary = {
      deliveryId,
      leadgenChanges: delivery.leadgen.length,
      ignored,
      rejected: rejected.length,
    };
    if (admission === "queue") {
      log.info("webhook accepted", { ...summary, queued: true });
      return {
        outcome: "queued",
        leadgenChanges: delivery.leadgen.length,
        ignored,
        rejected,
        deliveryId: built ? deliveryId : null,
      };
    }
    // The backlog is full: this one waits for its leads, which slows Meta down for a moment.
    const stored = await accepted.stored;
    log.info("webhook accepted", { ...summary, ...stored });
    return {
      outcome,
      leadgenChanges: delivery.leadgen.length,
      ...stored,
      ignored,
      rejected,
      deliveryId: built ? deliveryId : null,
    };
  }

  const store = () =>
    Promise.all([
      storeDeliveryLeads(deps, stubs, requestId, inline),
      built && !inline ? keepBuiltDelivery(deps, built) : Promise.resolve(null),
    ]);
  const [result, keptAside] = inbox ? await inbox.direct(store) : await store();
  let deliveryId = keptAside;
  if (inline) {
    if (result.extraError) {
      // The audit copy must not cost a lead: log it and carry on with the delivery.
      deps.log.error("webhook delivery not kept for audit", {
        error: result.extraError.message,
        bytes: rawBody.byteLength,
      });
    } else deliveryId = built!.record.id;
  }
  log.info("webhook accepted", {
    deliveryId,
    leadgenChanges: delivery.leadgen.length,
    inserted: result.inserted.length,
    duplicates: result.duplicates.length,
    ignored,
    rejected: rejected.length,
  });
  return {
    outcome,
    leadgenChanges: delivery.leadgen.length,
    inserted: result.inserted.length,
    duplicates: result.duplicates.length,
    ignored,
    rejected,
    deliveryId,
  };
}

/**
 * Stores a delivery's lead stubs, each with its fetch job created claimed (it runs here once the
 * commit is through), and `extra` in their commit. Rejects when a lead could not be stored (the
 * delivery must not be acknowledged, or must stay in the inbox) or KV failed. Known leads are
 * recorded as late webhooks for the health checks.
 */
async function storeDeliveryLeads(
  deps: IngestDeps,
  stubs: Lead[],
  requestId: string | null,
  extra: ExtraWrite | null,
): Promise<InsertLeadsResult> {
  const claims = new Map<string, ClaimedJob>();
  const result = await deps.leads.insertLeads(stubs, {
    onCommit(op, lead) {
      // Claimed in the commit that creates it, so it runs here with no claim commit.
      claims.set(lead.id, addClaimedFetchJob(deps.jobs, op, lead, requestId));
      // The answers are on their way while the commit makes the stub durable: the job takes them.
      if (lead.leadgenId !== null && lead.pageId !== null) {
        deps.prefetch?.(lead.leadgenId, lead.pageId);
      }
    },
    onCommitted(lead, versionstamp) {
      const claimed = claims.get(lead.id);
      if (claimed) deps.jobs.runClaimed(claimed, versionstamp);
    },
    extra: extra ?? undefined,
  });
  if (result.failed.length > 0) {
    // Not acknowledged: Meta sends the delivery again, and the leads stored now are duplicates then.
    const { lead, error } = result.failed[0];
    throw new Error(
      `Cannot store ${result.failed.length} lead(s) of the delivery, e.g. Meta lead ${lead.leadgenId}: ${error.message}`,
      { cause: error },
    );
  }
  if (result.duplicates.length > 0) {
    // Rare (Meta's retries, or a webhook later than the sweep): the health checks must know that
    // this lead's webhook did arrive. A failure costs no lead, so it is only logged.
    await recordWebhookDuplicates(
      deps.kv,
      result.duplicates.flatMap((lead) => lead.leadgenId ? [lead.leadgenId] : []),
      { now: deps.now },
    ).catch((error) =>
      deps.log.error("late webhook not recorded", {
        requestId,
        error: (error as Error).message,
      })
    );
  }
  return result;
}

/** The removal of an inbox record as an extra of its leads' commit (only once they are safe). */
function removalWith(complete: (op: Deno.AtomicOperation) => void): ExtraWrite {
  return { write: complete, requiresLeads: true };
}

/**
 * The handler of inbox records that no live process holds (their process died before storing
 * them, or a store failed): reads the delivery's bytes back, parses them again and stores the
 * leads, the record's removal in their commit. Leads stored already are known: nothing doubles.
 */
export function webhookInboxHandler(deps: IngestDeps): JobHandler {
  return async function storeInboxRecord(payload, ctx) {
    const record = payload as InboxPayload;
    let body = record.body;
    if (!body) {
      const kept = record.deliveryId ? await readDelivery(deps.kv, record.deliveryId) : null;
      if (kept === null) {
        throw new PermanentJobError(
          `Cannot store webhook delivery ${record.deliveryId}: its kept bytes expired or are gone`,
        );
      }
      body = kept.body;
    }
    let leadgen: LeadgenChange[];
    try {
      leadgen = parseWebhookDelivery(new TextDecoder().decode(body)).leadgen;
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      // It parsed when it arrived: only a parser changed since could refuse it.
      throw new PermanentJobError(`Cannot parse webhook delivery again: ${error.reason}`);
    }
    const receivedAt = new Date(record.receivedAt);
    const stubs = leadgen.map((change) => newMetaLead(change, receivedAt));
    const removal = ctx.complete ? removalWith((op) => ctx.complete!(op)) : null;
    const result = await storeDeliveryLeads(deps, stubs, record.requestId, removal);
    deps.log.info("webhook inbox record stored", {
      requestId: record.requestId,
      deliveryId: record.deliveryId,
      attempt: ctx.attempt,
      inserted: result.inserted.length,
      duplicates: result.duplicates.length,
    });
    return removal && !result.extraError ? COMPLETED_IN_COMMIT : undefined;
  };
}

/** What the kept copy of an accepted delivery says besides its leads; null when nothing. */
function deliveryNote(ignored: string[], rejected: RejectedChange[]): string | null {
  const notes = [];
  if (ignored.length > 0) notes.push(`also ignored: ${ignored.join(", ")}`);
  if (rejected.length > 0) {
    notes.push(
      `rejected ${rejected.length} malformed: ` +
        rejected.slice(0, 5).map((item) => item.reason).join("; "),
    );
  }
  return notes.length > 0 ? notes.join("; ") : null;
}

/** Adds the fetch job of a new Meta lead to the commit that stores the lead. */
export function addFetchJob(
  jobs: JobQueue,
  op: Deno.AtomicOperation,
  lead: Lead,
  requestId: string | null = null,
): string {
  return jobs.addJob(op, fetchJobOf(lead, requestId));
}

/**
 * Adds the fetch job of a new Meta lead to the commit that stores the lead (that commit must check
 * that the lead is new, as the lead store's insert does), claimed by this process: once the commit
 * is through, `jobs.runClaimed` runs it here at once.
 */
export function addClaimedFetchJob(
  jobs: JobQueue,
  op: Deno.AtomicOperation,
  lead: Lead,
  requestId: string | null = null,
): ClaimedJob {
  // Keyed by the leadgen id in the commit whose check makes the lead new: no such job can exist.
  return jobs.addClaimedJob(op, fetchJobOf(lead, requestId), { keyIsNew: true });
}

function fetchJobOf(lead: Lead, requestId: string | null) {
  if (lead.leadgenId === null || lead.pageId === null) {
    throw new Error(
      `Cannot queue a details fetch for lead ${lead.id}: it has no leadgen or page id`,
    );
  }
  const payload: FetchLeadDetailsPayload = {
    leadId: lead.id,
    leadgenId: lead.leadgenId,
    pageId: lead.pageId,
    formId: lead.formId,
    requestId,
  };
  return { type: FETCH_LEAD_DETAILS, key: lead.leadgenId, payload };
}

async function keepDelivery(
  deps: IngestDeps,
  rawBody: Uint8Array,
  delivery: NewDelivery,
): Promise<string | null> {
  if (deps.keepDeliveries === false) return null;
  try {
    return (await saveDelivery(deps.kv, rawBody, delivery, {
      now: deps.now,
      retentionMs: deps.deliveryRetentionMs,
    })).id;
  } catch (error) {
    // The audit copy must not cost a lead: log it and carry on with the delivery.
    deps.log.error("webhook delivery not kept for audit", {
      error: (error as Error).message,
      bytes: rawBody.byteLength,
    });
    return null;
  }
}

async function keepBuiltDelivery(
  deps: IngestDeps,
  built: ReturnType<typeof buildDelivery>,
): Promise<string | null> {
  try {
    return (await writeDelivery(deps.kv, built)).id;
  } catch (error) {
    // The audit copy must not cost a lead: log it and carry on with the delivery.
    deps.log.error("webhook delivery not kept for audit", {
      error: (error as Error).message,
      bytes: built.record.bytes,
    });
    return null;
  }
}

/** Webhook ingestion for one app, as the webhook route and the deliveries log call it. */
export interface Ingestion {
  /** The webhook inbox: started and stopped with the app's services. */
  inbox: LeadInbox;
  /** Ingests one webhook delivery (see ingestWebhook). */
  ingest(rawBody: Uint8Array, signature: string | null, requestId?: string): Promise<IngestResult>;
  /**
   * Runs a kept delivery's exact bytes through ingestion again (the dedupe makes it safe) and
   * records the replay on it; null when the delivery has expired or never existed.
   */
  replay(
    deliveryId: string,
    options?: { requestId?: string; by?: string | null },
  ): Promise<IngestResult | null>;
}

/**
 * Binds ingestion to its dependencies, with a webhook inbox (see lib/leads/inbox.ts) whose
 * processor stores queued deliveries the same way as a delivery stored directly, and whose
 * records left by a process that died are stored by the job queue's sweeps (the handler is
 * registered on `deps.jobs` here).
 */
export function createIngestion(
  deps: Omit<IngestDeps, "inbox">,
  options: { inbox?: InboxOptions } = {},
): Ingestion {
  const inbox: LeadInbox = createWebhookInbox<QueuedDelivery, StoredDelivery>({
    kv: deps.kv,
    jobs: deps.jobs,
    log: deps.log,
    async store(delivery, removal) {
      const result = await storeDeliveryLeads(deps, delivery.stubs, delivery.requestId, removal);
      if (result.inserted.length > 0) {
        // A direct delivery is timed by the webhook route, which answers once it is stored.
        webhookToStored.observe((performance.now() - delivery.parsedAt) / 1000);
      }
      return {
        result: { inserted: result.inserted.length, duplicates: result.duplicates.length },
        removed: !result.extraError,
      };
    },
  }, options.inbox);
  const withInbox: IngestDeps = { ...deps, inbox };
  deps.jobs.register(WEBHOOK_INBOX, webhookInboxHandler(withInbox));
  return {
    inbox,
    ingest: (rawBody, signature, requestId) =>
      ingestWebhook(withInbox, rawBody, signature, { requestId }),
    async replay(deliveryId, options = {}) {
      const result = await replayDelivery(withInbox, deliveryId, {
        requestId: options.requestId,
      });
      // Never "queued": replays do not go through the inbox.
      if (result === null || result.outcome === "unauthorized" || result.outcome === "queued") {
        return result;
      }
      await recordReplay(deps.kv, deliveryId, {
        at: new Date().toISOString(),
        by: options.by ?? null,
        requestId: options.requestId ?? null,
        outcome: result.outcome,
        inserted: "inserted" in result ? result.inserted : 0,
        duplicates: "duplicates" in result ? result.duplicates : 0,
      });
      return result;
    },
  };
}
