// Every Deno KV key the Meta health checks use, each built by one named function.

/** `["meta_health"]` -> StoredMetaHealth: the last report, the webhook loss summary, what was resumed. */
export function metaHealthKey(): Deno.KvKey {
  return ["meta_health"];
}

/**
 * `["meta_sweep_found", pageId, receivedMs, leadId]` -> SweepFoundLead: a lead a sweep found that no
 * webhook had delivered; expires after the retention so the prefix stays small.
 */
export function sweepFoundKey(pageId: string, receivedMs: number, leadId: string): Deno.KvKey {
  return ["meta_sweep_found", pageId, receivedMs, leadId];
}

/** The prefix of one page's `sweepFoundKey`s. */
export function sweepFoundPrefix(pageId: string): Deno.KvKey {
  return ["meta_sweep_found", pageId];
}

/** The prefix of every `sweepFoundKey`. */
export const SWEEP_FOUND_PREFIX: Deno.KvKey = ["meta_sweep_found"];

/** `["meta_webhook_last", pageId]` -> LastWebhookLead: the newest lead a webhook brought for the page. */
export function lastWebhookKey(pageId: string): Deno.KvKey {
  return ["meta_webhook_last", pageId];
}

/** The prefix of every `lastWebhookKey`. */
export const LAST_WEBHOOK_PREFIX: Deno.KvKey = ["meta_webhook_last"];
