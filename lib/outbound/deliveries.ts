// Outbound deliveries: each lead event becomes one delivery per destination that wants it, queued
// in a lane per (destination, lead) so one lead's events arrive in order; a durable job per attempt
// POSTs the signed event, retries with backoff for up to a day, and keeps a log per destination.

import { ulid } from "../ids.ts";
import type { JobQueue } from "../jobs/queue.ts";
import { commitAtomic } from "../kv_commit.ts";
import type { LeadEvent, LeadEventChange, LeadEventType } from "../lead_events/events.ts";
import type { LeadEventSink, SinkWrites } from "../lead_events/feed.ts";
import { type Lead, toLeadJson } from "../leads/model.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { anyDestination, listDestinations, type WebhookDestination } from "./destinations.ts";
import { deliveriesPrefix, deliveryKey, destinationKey, laneKey } from "./keys.ts";
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./sign.ts";

/** The job type of one delivery attempt. */
export const OUTBOUND_DELIVER = "outbound.deliver";

/** Where a delivery stands. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One event to one destination, as stored (and listed in the destination's log). */
export interface WebhookDelivery {
  /** A ULID: the log lists newest first. */
  id: string;
  destinationId: string;
  leadId: string;
  /** The event's id (`evt_…`): the same on a resend, so a receiver can drop repeats. */
  eventId: string;
  type: LeadEventType;
  /** ISO 8601, when the event happened. */
  eventAt: string;
  by: string | null;
  change: LeadEventChange;
  status: DeliveryStatus;
  /** Attempts made (POSTs sent). */
  attempts: number;
  /** Jobs scheduled for it so far (each job's key is the delivery id and this count). */
  schedules: number;
  createdAt: string;
  lastAttemptAt: string | null;
  /** HTTP status of the last attempt, or null (no answer). */
  lastStatus: number | null;
  lastError: string | null;
  /** ISO 8601 of the next attempt while pending after a failure. */
  nextAttemptAt: string | null;
  finishedAt: string | null;
  /** Set on a resend: the delivery it sends again. */
  resendOf: string | null;
}

/** One lead's deliveries to one destination not yet done, oldest first; the first has the job. */
interface DeliveryLane {
  queue: string[];
}

/** The job's payload. */
interface DeliverPayload {
  destinationId: string;
  deliveryId: string;
  leadId: string;
  /** Which scheduling of the delivery this job is (a stale job finds a newer one and stops). */
  schedule: number;
}

/** How outbound deliveries behave; the defaults suit production, tests shorten them. */
export interface OutboundOptions {
  /** Per-attempt timeout (ms). */
  timeoutMs: number;
  /** A fixed wait between attempts (ms), or null for the schedule below. */
  retryMs: number | null;
  /** A delivery still failing this long after its event is given up (ms). */
  giveUpMs: number;
}

/** What deliveries need. */
export interface OutboundDeps {
  kv: Deno.Kv;
  store: LeadStore;
  jobs: JobQueue;
  log: Logger;
  options: OutboundOptions;
  now?: () => Date;
}

/** How long delivered and failed deliveries stay in the log. */
const LOG_RETENTION_MS = 30 * 86_400_000;
/** Waits after failed attempt 1, 2, ...: 10 s rising to 2 h, then every 2 h until the give-up. */
const BACKOFF_MS = [10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000];
/** Requests in flight at once per process: a destination that never answers holds only these. */
const MAX_IN_FLIGHT = 4;
/** Consecutive failures of one destination after which its other deliveries wait too. */
const BREAKER_FAILURES = 3;
/** The longest error text kept on a delivery. */
const ERROR_MAX = 300;

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the destination";
  }
}

/** The wait after failed attempt `attempt` (1-based), ±10%; fixed when `retryMs` is set. */
export function outboundBackoff(options: OutboundOptions, attempt: number): number {
  if (options.retryMs !== null) return options.retryMs;
  const base = BACKOFF_MS[Math.min(Math.max(attempt, 1), BACKOFF_MS.length) - 1];
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

/** The JSON body of a delivery: the event, and the lead as it is when it is sent. */
export function deliveryBody(delivery: WebhookDelivery, lead: Lead | null): string {
  const { timeline: _timeline, ...leadJson } = lead ? toLeadJson(lead) : { timeline: null };
  const { type: _type, ...change } = delivery.change;
  return JSON.stringify({
    id: delivery.eventId,
    type: delivery.type,
    createdAt: delivery.eventAt,
    data: {
      leadId: delivery.leadId,
      change,
      by: delivery.by,
      lead: lead ? leadJson : null,
    },
  });
}

/** A destination's state in this process: a circuit breaker so a dead one does not hog slots. */
interface DestinationHealth {
  failures: number;
  /** While in the future, this destination's deliveries wait instead of trying. */
  openUntil: number;
}

/** The outbound machinery of one app: the event sink, the job handler, resend and the log. */
export interface OutboundDeliveries {
  sink: LeadEventSink;
  handler: (payload: unknown) => Promise<void>;
  /** Sends a delivery's event again (a new delivery at the end of its lead's lane). */
  resend(
    destinationId: string,
    deliveryId: string,
    by?: string | null,
  ): Promise<WebhookDelivery | null>;
  /** A destination's log, newest first. */
  listDeliveries(destinationId: string, limit?: number): Promise<WebhookDelivery[]>;
  stop(): void;
}

/** Makes the sink and the job handler of outbound webhooks. */
export function createOutboundDeliveries(deps: OutboundDeps): OutboundDeliveries {
  const { kv, jobs, log, options } = deps;
  const now = deps.now ?? (() => new Date());
  const health = new Map<string, DestinationHealth>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let inFlight = 0;

  function newDelivery(
    destination: WebhookDestination,
    event: Pick<LeadEvent, "id" | "type" | "leadId" | "at" | "by" | "change">,
    resendOf: string | null,
  ): WebhookDelivery {
    const at = now();
    return {
      id: ulid(at.getTime()),
      destinationId: destination.id,
      leadId: event.leadId,
      eventId: event.id,
      type: event.type,
      eventAt: event.at,
      by: event.by,
      change: event.change,
      status: "pending",
      attempts: 0,
      schedules: 0,
      createdAt: at.toISOString(),
      lastAttemptAt: null,
      lastStatus: null,
      lastError: null,
      nextAttemptAt: null,
      finishedAt: null,
      resendOf,
    };
  }

  function addDeliverJob(op: Deno.AtomicOperation, delivery: WebhookDelivery, dueAt: number) {
    const payload: DeliverPayload = {
      destinationId: delivery.destinationId,
      deliveryId: delivery.id,
      leadId: delivery.leadId,
      schedule: delivery.schedules,
    };
    jobs.addJob(op, {
      type: OUTBOUND_DELIVER,
      key: `${delivery.id}:${delivery.schedules}`,
      payload,
      dueAt,
    });
  }

  /** Runs the queue at `dueAt` (its own sweep is once a second). */
  function kickAt(dueAt: number) {
    const wait = dueAt - now().getTime();
    if (wait <= 0) {
      jobs.kick();
      return;
    }
    if (wait > 5_000) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      jobs.kick();
    }, wait + 5);
    timers.add(timer);
  }

  /**
   * Writes for appending `deliveries` (one destination, one lead) to their lane: read now,
   * applied in the caller's commit with a check of the lane, so a finishing job and an append
   * never lose a delivery between them.
   */
  async function prepareAppend(deliveries: WebhookDelivery[]) {
    const { destinationId, leadId } = deliveries[0];
    const lane = await kv.get<DeliveryLane>(laneKey(destinationId, leadId));
    const queue = lane.value?.queue ?? [];
    const startsLane = queue.length === 0;
    return {
      startsLane,
      apply(op: Deno.AtomicOperation) {
        op.check(lane).set(laneKey(destinationId, leadId), {
          queue: [...queue, ...deliveries.map((delivery) => delivery.id)],
        });
        for (const delivery of deliveries) {
          op.set(deliveryKey(destinationId, delivery.id), delivery);
        }
        if (startsLane) addDeliverJob(op, deliveries[0], now().getTime());
      },
    };
  }

  const sink: LeadEventSink = {
    active: () => anyDestination(kv),
    async prepare(_lead: Lead, events: LeadEvent[]): Promise<SinkWrites | null> {
      const destinations = await listDestinations(kv);
      const appends: Awaited<ReturnType<typeof prepareAppend>>[] = [];
      for (const destination of destinations) {
        const created = Date.parse(destination.createdAt);
        const wanted = events.filter((event) =>
          destination.events.includes(event.type) && Date.parse(event.at) >= created
        );
        if (wanted.length === 0) continue;
        appends.push(
          await prepareAppend(wanted.map((event) => newDelivery(destination, event, null))),
        );
      }
      if (appends.length === 0) return null;
      return {
        apply(op) {
          for (const append of appends) append.apply(op);
        },
        afterCommit() {
          if (appends.some((append) => append.startsLane)) jobs.kick();
        },
      };
    },
  };

  /** Marks `delivery` done and hands its lane to the next delivery (with a job), in one commit. */
  async function finish(
    entry: Deno.KvEntry<WebhookDelivery>,
    done: Partial<WebhookDelivery> & { status: "delivered" | "failed" },
  ) {
    const delivery = entry.value;
    for (let attempt = 0; attempt < 20; attempt++) {
      const lane = await kv.get<DeliveryLane>(laneKey(delivery.destinationId, delivery.leadId));
      const queue = (lane.value?.queue ?? []).filter((id) => id !== delivery.id);
      const op = kv.atomic().check(entry).check(lane).set(
        entry.key,
        { ...delivery, ...done, nextAttemptAt: null, finishedAt: now().toISOString() },
        { expireIn: LOG_RETENTION_MS },
      );
      let next: WebhookDelivery | null = null;
      if (queue.length > 0) {
        next = (await kv.get<WebhookDelivery>(deliveryKey(delivery.destinationId, queue[0])))
          .value;
        op.set(lane.key, { queue });
        if (next) {
          next = { ...next, schedules: next.schedules + 1 };
          op.set(deliveryKey(next.destinationId, next.id), next);
          addDeliverJob(op, next, now().getTime());
        }
      } else op.delete(lane.key);
      if ((await commitAtomic(op)).ok) {
        if (next) jobs.kick();
        return;
      }
      const current = await kv.get<WebhookDelivery>(entry.key);
      if (current.value?.status !== "pending") return;
      entry = current as Deno.KvEntry<WebhookDelivery>;
    }
    throw new Error(`Cannot finish webhook delivery ${delivery.id}: its lane kept changing`);
  }

  /** Schedules the delivery's next job at `dueAt`, with what the attempt found. */
  async function reschedule(
    entry: Deno.KvEntry<WebhookDelivery>,
    dueAt: number,
    changes: Partial<WebhookDelivery>,
  ) {
    const next: WebhookDelivery = {
      ...entry.value,
      ...changes,
      schedules: entry.value.schedules + 1,
      nextAttemptAt: new Date(dueAt).toISOString(),
    };
    const op = kv.atomic().check(entry).set(entry.key, next);
    addDeliverJob(op, next, dueAt);
    if ((await commitAtomic(op)).ok) kickAt(dueAt);
  }

  async function attempt(
    destination: WebhookDestination,
    delivery: WebhookDelivery,
  ): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const lead = await deps.store.getLead(delivery.leadId);
    const body = deliveryBody(delivery, lead);
    const timestamp = Math.floor(now().getTime() / 1000);
    try {
      const response = await fetch(destination.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Leadline-Webhooks/1.0",
          "x-leadline-event": delivery.type,
          "x-leadline-event-id": delivery.eventId,
          "x-leadline-delivery": delivery.id,
          "x-leadline-attempt": String(delivery.attempts + 1),
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: await signWebhook(destination.secret, timestamp, body),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // Only the status matters; the answer's body is not read into memory.
      await response.body?.cancel();
      const ok = response.status >= 200 && response.status < 300;
      return {
        ok,
        status: response.status,
        error: ok ? null : `the destination answered HTTP ${response.status}`,
      };
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === "TimeoutError";
      // Deno says "fetch failed" and puts why in the cause. A catch hook's URL is its password
      // (Zapier's path is the secret): only its host is kept.
      const cause = (error as Error)?.cause;
      const reason = [String((error as Error)?.message ?? error), cause ? String(cause) : ""]
        .filter((part) => part !== "").join(": ")
        .replace(/https?:\/\/[^\s)'"]+/g, (url) => hostOf(url))
        .slice(0, 200);
      const host = hostOf(destination.url);
      return {
        ok: false,
        status: null,
        error: timedOut
          ? `${host} did not answer within ${options.timeoutMs} ms`
          : `could not connect to ${host}: ${reason}`,
      };
    }
  }

  async function handler(raw: unknown): Promise<void> {
    const payload = raw as DeliverPayload;
    const [entry, destinationEntry] = await kv.getMany<[WebhookDelivery, WebhookDestination]>([
      deliveryKey(payload.destinationId, payload.deliveryId),
      destinationKey(payload.destinationId),
    ]);
    const delivery = entry.value;
    // Done, or a newer job took over: nothing to do (a job may run twice).
    if (!delivery || delivery.status !== "pending" || delivery.schedules !== payload.schedule) {
      return;
    }
    const pending = entry as Deno.KvEntry<WebhookDelivery>;
    const destination = destinationEntry.value;
    if (!destination) {
      await finish(pending, { status: "failed", lastError: "the destination was removed" });
      return;
    }
    const at = now().getTime();
    const state = health.get(destination.id);
    if ((state && state.openUntil > at) || inFlight >= MAX_IN_FLIGHT) {
      // The destination is failing (or enough requests are out): wait without an attempt.
      const dueAt = Math.max(state?.openUntil ?? 0, at + 200) + Math.floor(Math.random() * 200);
      await reschedule(pending, dueAt, {});
      return;
    }
    inFlight++;
    let outcome;
    try {
      outcome = await attempt(destination, delivery);
    } finally {
      inFlight--;
    }
    const attempts = delivery.attempts + 1;
    const tried = {
      attempts,
      lastAttemptAt: new Date(at).toISOString(),
      lastStatus: outcome.status,
      lastError: outcome.error?.slice(0, ERROR_MAX) ?? null,
    };
    if (outcome.ok) {
      health.delete(destination.id);
      await finish(pending, { status: "delivered", ...tried });
      return;
    }
    const wait = outboundBackoff(options, attempts);
    const failures = (state?.failures ?? 0) + 1;
    health.set(destination.id, {
      failures,
      openUntil: failures >= BREAKER_FAILURES ? now().getTime() + wait : 0,
    });
    if (now().getTime() + wait - Date.parse(delivery.createdAt) > options.giveUpMs) {
      log.warn("webhook delivery failed for good", {
        destinationId: destination.id,
        deliveryId: delivery.id,
        attempts,
        error: tried.lastError,
      });
      await finish(pending, { status: "failed", ...tried });
      return;
    }
    await reschedule(pending, now().getTime() + wait, tried);
  }

  return {
    sink,
    handler,
    async resend(destinationId, deliveryId) {
      const [original, destinationEntry] = await kv.getMany<[WebhookDelivery, WebhookDestination]>(
        [deliveryKey(destinationId, deliveryId), destinationKey(destinationId)],
      );
      if (!original.value || !destinationEntry.value) return null;
      const source = original.value;
      const copy = newDelivery(destinationEntry.value, {
        id: source.eventId,
        type: source.type,
        leadId: source.leadId,
        at: source.eventAt,
        by: source.by,
        change: source.change,
      }, source.id);
      for (let tries = 0; tries < 10; tries++) {
        const append = await prepareAppend([copy]);
        const op = kv.atomic();
        append.apply(op);
        if ((await commitAtomic(op)).ok) {
          jobs.kick();
          return copy;
        }
      }
      throw new Error(`Cannot resend webhook delivery ${deliveryId}: its lane kept changing`);
    },
    async listDeliveries(destinationId, limit = 50) {
      const out: WebhookDelivery[] = [];
      const iter = kv.list<WebhookDelivery>({ prefix: deliveriesPrefix(destinationId) }, {
        reverse: true,
        limit: Math.max(1, Math.min(limit, 500)),
      });
      for await (const entry of iter) out.push(entry.value);
      return out;
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
