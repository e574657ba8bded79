// Web Push for one app: VAPID keys (from the environment, or made once and kept in KV), the lead
// notification job and sink, and a test message; see createPush.

import { type Config, ConfigError } from "../config.ts";
import { commitAtomic } from "../kv_commit.ts";
import type { JobQueue } from "../jobs/queue.ts";
import type { LeadEventFeed } from "../lead_events/feed.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import type { PushTestAnswer } from "../wire.ts";
import { vapidKeysKey } from "./keys.ts";
import { PUSH_NOTIFY, pushNotifyHandler, pushSink } from "./notify.ts";
import { type PushSendOutcome, sendPushMessage } from "./sender.ts";
import {
  listPushSubscriptions,
  markPushSuccess,
  removePushSubscriptionById,
} from "./subscriptions.ts";
import {
  generateVapidKeys,
  importVapidKeys,
  VapidKeyError,
  type VapidKeys,
  type VapidKeyText,
} from "./vapid.ts";

/** Web Push as the routes see it. */
export interface PushService {
  /** The VAPID public key: the browser's `applicationServerKey`. */
  publicKey: string;
  /** Sends a test notification to every device of `userId` (quiet hours do not apply). */
  sendTest(userId: string): Promise<PushTestAnswer>;
  /** Clears the timers of delayed notifications. */
  stop(): void;
}

/** What createPush needs. */
export interface CreatePushOptions {
  config: Config;
  kv: Deno.Kv;
  store: LeadStore;
  jobs: JobQueue;
  feed: LeadEventFeed;
  log: Logger;
}

/**
 * Loads the VAPID keys (`VAPID_PUBLIC_KEY`/`VAPID_PRIVATE_KEY`, or a pair generated at the first
 * start and kept in KV, so every instance and restart signs with the same key), registers the
 * notification job and adds the sink to the lead event feed. Throws ConfigError for env keys
 * that are not one P-256 pair.
 */
export async function createPush(options: CreatePushOptions): Promise<PushService> {
  const { config, kv, log } = options;
  const keys = await loadVapidKeys(kv, config.beyondTab.vapidKeys);
  const subject = config.beyondTab.vapidSubject ??
    (config.metaHealth.publicUrl?.startsWith("https:") ? config.metaHealth.publicUrl : null) ??
    "mailto:push@leadline.invalid";
  const deps = { kv, store: options.store, jobs: options.jobs, log, keys, subject };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  options.jobs.register(PUSH_NOTIFY, pushNotifyHandler(deps));
  options.feed.addSink("push", pushSink(deps, timers));
  return {
    publicKey: keys.publicKey,
    async sendTest(userId) {
      let sent = 0, removed = 0, failed = 0;
      await Promise.all((await listPushSubscriptions(kv, userId)).map(async (device) => {
        const outcome: PushSendOutcome = await sendPushMessage(device, {
          title: "Leadline notifications work",
          body: "New leads will show up here, even with every tab closed.",
          url: "/",
          tag: "leadline-test",
        }, { keys, subject, ttlSeconds: 60, urgency: "high" });
        if (outcome.kind === "sent") {
          sent++;
          await markPushSuccess(kv, device, new Date());
        } else if (outcome.kind === "gone") {
          removed++;
          await removePushSubscriptionById(kv, userId, device.id);
        } else failed++;
      }));
      return { sent, removed, failed };
    },
    stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

async function loadVapidKeys(kv: Deno.Kv, fromEnv: VapidKeyText | null): Promise<VapidKeys> {
  if (fromEnv) {
    try {
      return await importVapidKeys(fromEnv);
    } catch (error) {
      if (error instanceof VapidKeyError) throw new ConfigError("VAPID_PRIVATE_KEY", error.message);
      throw error;
    }
  }
  let stored = (await kv.get<VapidKeyText>(vapidKeysKey())).value;
  if (stored === null) {
    const generated = await generateVapidKeys();
    // Two instances starting at once must agree on one pair: the first write wins.
    await commitAtomic(
      kv.atomic().check({ key: vapidKeysKey(), versionstamp: null }).set(vapidKeysKey(), generated),
    );
    stored = (await kv.get<VapidKeyText>(vapidKeysKey())).value!;
  }
  return await importVapidKeys(stored);
}
