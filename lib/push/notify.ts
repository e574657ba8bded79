// Lead notifications: which devices hear about a lead, with what words, and the durable job that
// sends them (retried on 429 and 5xx, devices the push service says are gone removed).

import { getUser } from "../auth/users.ts";
import { RetryableJobError } from "../jobs/errors.ts";
import type { JobQueue } from "../jobs/queue.ts";
import type { LeadEvent } from "../lead_events/events.ts";
import type { LeadEventSink, SinkWrites } from "../lead_events/feed.ts";
import type { Lead } from "../leads/model.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { listOnShift } from "../routing/shift.ts";
import { leadNotifiedKey, PUSH_SUBSCRIPTIONS_PREFIX, pushProgressKey } from "./keys.ts";
import { getPushPreferences, isQuietAt } from "./preferences.ts";
import { type PushMessage, sendPushMessage } from "./sender.ts";
import {
  listPushSubscriptions,
  listUsersWithPush,
  markPushSuccess,
  removePushSubscriptionById,
} from "./subscriptions.ts";
import type { VapidKeys } from "./vapid.ts";

/** The job type of lead notifications. */
export const PUSH_NOTIFY = "push.notify";

/**
 * How long a new lead waits for its name before it is announced with what is known: a webhook
 * brings only ids, and the Graph fetch that brings the name usually lands within tens of ms.
 */
export const NAME_WAIT_MS = 1_000;
/** Leads created longer ago than this are not news (a first sync's backfill, a late sweep). */
const FRESH_MS = 60 * 60 * 1000;
/** How long a push service keeps an undelivered lead notification (a phone that is off). */
const TTL_SECONDS = 4 * 60 * 60;

/** What one notification job is about. */
export interface PushJobPayload {
  /** `new_lead`: announce it; `named`: it was announced before its name came, say the name now;
   * `assigned`: tell its new owner. */
  kind: "new_lead" | "named" | "assigned";
  leadId: string;
  /** The job's key, for its progress record (devices already reached). */
  key: string;
  /** For `assigned`: the owner to tell (only while the lead is still theirs). */
  userId?: string;
}

/** What was said about a lead, so its name follows when the first word went without it. */
interface LeadNotified {
  named: boolean;
  at: string;
}

/** What notifications need. */
export interface PushNotifyDeps {
  kv: Deno.Kv;
  store: LeadStore;
  jobs: JobQueue;
  log: Logger;
  keys: VapidKeys;
  subject: string;
  now?: () => Date;
}

/** The words of a lead notification. */
export function leadMessage(lead: Lead, kind: PushJobPayload["kind"]): PushMessage {
  const form = lead.formName ?? (lead.source === "meta" ? "a Meta lead form" : sourceWord(lead));
  const name = lead.fullName ?? lead.email ?? lead.phone;
  const title = kind === "assigned"
    ? `Lead for you: ${name ?? "new lead"}`
    : name
    ? `New lead: ${name}`
    : "New lead";
  const body = name ? form : `From ${form}; the details are on their way`;
  return {
    title: title.slice(0, 120),
    body: body.slice(0, 200),
    url: `/leads/${lead.id}`,
    tag: `lead-${lead.id}`,
    // The name following a nameless first word replaces it quietly.
    renotify: kind !== "named",
  };
}

function sourceWord(lead: Lead): string {
  return lead.source === "walk-in" ? "a walk-in" : lead.source === "sms" ? "a text" : "a call";
}

/** Who hears about lead `lead`: its owner; else everyone on shift; else everyone with a device. */
async function recipientsOf(deps: PushNotifyDeps, lead: Lead, payload: PushJobPayload) {
  if (payload.kind === "assigned") {
    return lead.ownerId !== null && lead.ownerId === payload.userId ? [lead.ownerId] : [];
  }
  if (lead.ownerId) return [lead.ownerId];
  const onShift = (await listOnShift(deps.kv)).map((agent) => agent.id);
  if (onShift.length > 0) return onShift;
  // Nobody on shift (a team that does not use shifts): everyone who switched notifications on.
  const ids: string[] = [];
  for (const id of await listUsersWithPush(deps.kv)) {
    const user = await getUser(deps.kv, id);
    if (user && !user.disabled) ids.push(id);
  }
  return ids;
}

/**
 * The job handler: reads the lead as it is now, works out who hears about it (quiet hours
 * respected), sends to each of their devices in parallel, removes devices whose push service
 * answers 404 or 410, and retries those that got 429, 5xx or no answer (devices already reached
 * are remembered, so a retry never sends twice).
 */
export function pushNotifyHandler(deps: PushNotifyDeps) {
  const now = deps.now ?? (() => new Date());
  return async function notify(raw: unknown): Promise<void> {
    const payload = raw as PushJobPayload;
    const lead = await deps.store.getLead(payload.leadId);
    if (!lead) return;
    const at = now();
    if (payload.kind !== "assigned" && at.getTime() - Date.parse(lead.createdTime) > FRESH_MS) {
      return;
    }
    if (payload.kind === "named") {
      const notified = (await deps.kv.get<LeadNotified>(leadNotifiedKey(lead.id))).value;
      if (!notified || notified.named || !lead.fullName) return;
    }
    const message = leadMessage(lead, payload.kind);
    const progressKey = pushProgressKey(payload.key);
    const done = new Set((await deps.kv.get<string[]>(progressKey)).value ?? []);
    const retry: { detail: string; retryAfterMs: number | null }[] = [];
    const sends: Promise<void>[] = [];
    for (const userId of await recipientsOf(deps, lead, payload)) {
      if (isQuietAt(await getPushPreferences(deps.kv, userId), at.getTime())) continue;
      for (const device of await listPushSubscriptions(deps.kv, userId)) {
        if (done.has(device.id)) continue;
        sends.push((async () => {
          const outcome = await sendPushMessage(device, message, {
            keys: deps.keys,
            subject: deps.subject,
            ttlSeconds: TTL_SECONDS,
            urgency: "high",
            topic: `lead${lead.id}`,
          });
          if (outcome.kind === "sent") {
            done.add(device.id);
            await markPushSuccess(deps.kv, device, at);
          } else if (outcome.kind === "gone") {
            done.add(device.id);
            await removePushSubscriptionById(deps.kv, userId, device.id);
            deps.log.info("push subscription removed: the push service says it is gone", {
              userId,
              subscriptionId: device.id,
              detail: outcome.detail,
            });
          } else if (outcome.kind === "refused") {
            done.add(device.id);
            deps.log.warn("push service refused a lead notification", {
              userId,
              subscriptionId: device.id,
              detail: outcome.detail,
            });
          } else retry.push(outcome);
        })());
      }
    }
    await Promise.all(sends);
    if (payload.kind === "new_lead" || payload.kind === "named") {
      const notified: LeadNotified = { named: lead.fullName !== null, at: at.toISOString() };
      await deps.kv.set(leadNotifiedKey(lead.id), notified, { expireIn: 7 * 86_400_000 });
    }
    if (retry.length > 0) {
      await deps.kv.set(progressKey, [...done], { expireIn: 86_400_000 });
      const wait = Math.max(0, ...retry.map((outcome) => outcome.retryAfterMs ?? 0));
      throw new RetryableJobError(
        `${retry.length} device(s) not reached: ${retry[0].detail}`,
        { retryAfterMs: wait || undefined },
      );
    }
    await deps.kv.delete(progressKey);
  };
}

async function anyDevice(kv: Deno.Kv): Promise<boolean> {
  for await (const _ of kv.list({ prefix: PUSH_SUBSCRIPTIONS_PREFIX }, { limit: 1 })) return true;
  return false;
}

/**
 * The lead event sink of notifications: a new lead gets a job, due once its details are fetched
 * (at once when they are) or NAME_WAIT_MS after it arrived, whichever comes first; details that
 * come after a nameless notification send the name; a lead given to someone by an admin or by
 * re-assignment tells its new owner.
 */
export function pushSink(
  deps: PushNotifyDeps,
  timers: Set<ReturnType<typeof setTimeout>>,
): LeadEventSink {
  const now = deps.now ?? (() => new Date());
  return {
    // No device anywhere (a team that never turned notifications on): nothing per lead.
    active: () => anyDevice(deps.kv),
    async prepare(lead: Lead, events: LeadEvent[]): Promise<SinkWrites | null> {
      if (!await anyDevice(deps.kv)) return null;
      const at = now().getTime();
      const jobs: { key: string; payload: PushJobPayload; dueAt: number }[] = [];
      let hurry = false;
      const created = events.some((event) => event.type === "lead.created");
      if (created && at - Date.parse(lead.createdTime) <= FRESH_MS) {
        const key = `new:${lead.id}`;
        const dueAt = lead.details === "pending" ? Date.parse(lead.receivedAt) + NAME_WAIT_MS : at;
        jobs.push({ key, payload: { kind: "new_lead", leadId: lead.id, key }, dueAt });
      } else if (events.some((event) => event.type === "lead.details_fetched")) {
        const waiting = await deps.jobs.getJob(PUSH_NOTIFY, `new:${lead.id}`);
        if (waiting?.state === "waiting") hurry = true;
        else {
          const key = `named:${lead.id}`;
          // Still sending the nameless word: the name follows right after it.
          const dueAt = waiting?.state === "running" ? at + NAME_WAIT_MS : at;
          const named = await deps.jobs.getJob(PUSH_NOTIFY, key);
          if (!named) jobs.push({ key, payload: { kind: "named", leadId: lead.id, key }, dueAt });
        }
      }
      for (const event of events) {
        if (event.type !== "lead.assigned" || event.change.type !== "lead.assigned") continue;
        if (!["assigned", "re-assigned"].includes(event.change.how)) continue;
        if (!lead.ownerId || (event.by !== null && event.by === lead.ownerName)) continue;
        const key = `assigned:${event.id}`;
        jobs.push({
          key,
          payload: { kind: "assigned", leadId: lead.id, key, userId: lead.ownerId },
          dueAt: at,
        });
      }
      if (jobs.length === 0 && !hurry) return null;
      return {
        apply(op) {
          for (const job of jobs) {
            deps.jobs.addJob(op, {
              type: PUSH_NOTIFY,
              key: job.key,
              payload: job.payload,
              dueAt: job.dueAt,
            });
          }
        },
        async afterCommit() {
          if (hurry) {
            await deps.jobs.retryJob(PUSH_NOTIFY, `new:${lead.id}`, { dueAt: now().getTime() });
          }
          for (const job of jobs) {
            const wait = job.dueAt - now().getTime();
            if (wait > 0) {
              // The queue sweeps each second; this runs a delayed word on time.
              const timer = setTimeout(() => {
                timers.delete(timer);
                deps.jobs.kick();
              }, wait + 5);
              timers.add(timer);
            }
          }
          deps.jobs.kick();
        },
      };
    },
  };
}
