// Counts webhook deliveries by how they were answered, and times those that stored a lead.

import { type DeliveryOutcome, webhookDeliveries, webhookToStored } from "./app_metrics.ts";

/**
 * Wraps the webhook's POST handler: every answer is counted by outcome (read from its status and,
 * for a 200, its `inserted` and `duplicates`), and a delivery that stored at least one new lead
 * is timed from the handler taking it to its answer, which comes once every lead is committed.
 * Measuring from the outside keeps the handler itself free of metrics.
 */
export function countDeliveries<Ctx>(
  post: (ctx: Ctx) => Promise<Response>,
): (ctx: Ctx) => Promise<Response> {
  return async function countedWebhookPost(ctx: Ctx) {
    const started = performance.now();
    let res: Response;
    try {
      res = await post(ctx);
    } catch (error) {
      webhookDeliveries.inc({ outcome: "error" });
      throw error;
    }
    const outcome = await deliveryOutcome(res);
    webhookDeliveries.inc({ outcome });
    if (outcome === "ok") webhookToStored.observe((performance.now() - started) / 1000);
    return res;
  };
}

async function deliveryOutcome(res: Response): Promise<DeliveryOutcome> {
  switch (res.status) {
    case 200: {
      let answer: { inserted?: unknown; duplicates?: unknown; queued?: unknown } = {};
      try {
        answer = await res.clone().json();
      } catch {
        // Not our JSON answer: counted as ok without a time.
      }
      if (answer.queued === true) return "queued";
      if (typeof answer.inserted === "number" && answer.inserted > 0) return "ok";
      if (typeof answer.duplicates === "number" && answer.duplicates > 0) return "duplicate_only";
      return "ignored";
    }
    case 400:
      return "malformed";
    case 401:
      return "bad_signature";
    case 413:
      return "too_large";
    case 429:
      return "rate_limited";
    default:
      return "error";
  }
}
