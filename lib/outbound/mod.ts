// Outbound webhooks for one app: destinations admins manage, and signed, ordered, retried
// deliveries of lead events to them; see createOutbound.

import type { Config } from "../config.ts";
import type { JobQueue } from "../jobs/queue.ts";
import type { LeadEventFeed } from "../lead_events/feed.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { createOutboundDeliveries, OUTBOUND_DELIVER, type WebhookDelivery } from "./deliveries.ts";

/** Outbound webhooks as the routes see them (destinations themselves: destinations.ts). */
export interface OutboundService {
  /** Sends a delivery's event again, at the end of its lead's queue; null when unknown. */
  resend(destinationId: string, deliveryId: string): Promise<WebhookDelivery | null>;
  /** A destination's delivery log, newest first. */
  listDeliveries(destinationId: string, limit?: number): Promise<WebhookDelivery[]>;
  stop(): void;
}

/** Registers the delivery job and adds the sink to the lead event feed. */
export function createOutbound(options: {
  config: Config;
  kv: Deno.Kv;
  store: LeadStore;
  jobs: JobQueue;
  feed: LeadEventFeed;
  log: Logger;
}): OutboundService {
  const { config } = options;
  const deliveries = createOutboundDeliveries({
    kv: options.kv,
    store: options.store,
    jobs: options.jobs,
    log: options.log.child({ job: OUTBOUND_DELIVER }),
    options: {
      timeoutMs: config.beyondTab.outboundTimeoutMs,
      retryMs: config.beyondTab.outboundRetryMs,
      giveUpMs: config.beyondTab.outboundGiveUpMs,
    },
  });
  options.jobs.register(OUTBOUND_DELIVER, deliveries.handler);
  options.feed.addSink("outbound", deliveries.sink);
  return {
    resend: deliveries.resend,
    listDeliveries: deliveries.listDeliveries,
    stop: deliveries.stop,
  };
}
