// Webhooks that arrived for a lead already stored (by a sweep, or an earlier delivery): remembered
// for a week, so a lead the sweep found first is not counted as lost when its webhook was only late.

import { commitAtomic } from "../kv_commit.ts";

/** `["webhook_duplicates", leadgenId]` -> ISO 8601 time a webhook brought the already stored lead. */
export function webhookDuplicateKey(leadgenId: string): Deno.KvKey {
  return ["webhook_duplicates", leadgenId];
}

const WEEK_MS = 8 * 24 * 60 * 60 * 1000;

/** Records that a webhook delivered these leadgen ids although they were stored already. */
export async function recordWebhookDuplicates(
  kv: Deno.Kv,
  leadgenIds: string[],
  options: { now?: () => Date } = {},
): Promise<void> {
  const at = (options.now ?? (() => new Date()))().toISOString();
  for (let i = 0; i < leadgenIds.length; i += 100) {
    const op = kv.atomic();
    for (const leadgenId of leadgenIds.slice(i, i + 100)) {
      op.set(webhookDuplicateKey(leadgenId), at, { expireIn: WEEK_MS });
    }
    await commitAtomic(op);
  }
}

/** Which of these leadgen ids a webhook delivered after they were stored (within the last week). */
export async function webhookDuplicatesOf(kv: Deno.Kv, leadgenIds: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < leadgenIds.length; i += 10) {
    const chunk = leadgenIds.slice(i, i + 10);
    const entries = await kv.getMany<string[]>(chunk.map(webhookDuplicateKey));
    entries.forEach((entry, j) => {
      if (entry.value !== null) seen.add(chunk[j]);
    });
  }
  return seen;
}
