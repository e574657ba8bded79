// Wires what reacts to lead events for one app: the feed, Web Push, outbound webhooks and the
// Conversions API, each a module of its own (lib/push, lib/outbound, lib/capi).

import type { Config } from "../config.ts";
import { type CapiService, createCapi } from "../capi/mod.ts";
import type { LeadPipeline } from "../leads/pipeline.ts";
import type { Logger } from "../log.ts";
import { createOutbound, type OutboundService } from "../outbound/mod.ts";
import { createPush, type PushService } from "../push/mod.ts";
import { createLeadEventFeed, type LeadEventFeed } from "./feed.ts";

/** The services that act on lead events, as `AppServices` carries them. */
export interface LeadEventServices {
  /** Lead events from the change log, handed to push, webhooks and the Conversions API. */
  leadEvents: LeadEventFeed;
  /** Web Push: VAPID key, lead notifications, test messages. */
  push: PushService;
  /** Outbound webhooks: signed, ordered, retried deliveries of lead events to admins' URLs. */
  outbound: OutboundService;
  /** Lead quality back to Meta: mapped stages reported to the Conversions API (META_DATASET_ID). */
  capi: CapiService;
}

/** Builds them on the pipeline's store and job queue; `startLeadEventServices` starts them. */
export async function createLeadEventServices(
  options: { config: Config; kv: Deno.Kv; log: Logger; pipeline: LeadPipeline },
): Promise<LeadEventServices> {
  const { config, kv, pipeline } = options;
  const log = options.log.child({ part: "lead_events" });
  const feed = createLeadEventFeed({ kv, store: pipeline.leads, log });
  const common = { config, kv, store: pipeline.leads, jobs: pipeline.jobs, feed, log };
  const push = await createPush(common);
  const outbound = createOutbound(common);
  const capi = createCapi({ ...common, pipeline });
  return { leadEvents: feed, push, outbound, capi };
}

/** Starts following lead changes. */
export async function startLeadEventServices(services: LeadEventServices): Promise<void> {
  await services.leadEvents.start();
}

/** Stops following lead changes and clears pending timers (jobs left run at the next start). */
export async function stopLeadEventServices(services: LeadEventServices): Promise<void> {
  await services.leadEvents.stop();
  services.push.stop();
  services.outbound.stop();
}
