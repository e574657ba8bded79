// Webhook loss: leads a sweep found that no webhook delivered, per page, and the last webhook lead per page.

import { commitAtomic } from "../kv_commit.ts";
import { catchUpLeadFollower } from "../leads/lead_follower.ts";
import type { Lead } from "../leads/model.ts";
import { webhookDuplicatesOf } from "../leads/late_webhooks.ts";
import type { LeadStore } from "../leads/store.ts";
import { getReconcileForm } from "../reconcile/forms.ts";
import { LAST_WEBHOOK_PREFIX, lastWebhookKey, SWEEP_FOUND_PREFIX, sweepFoundKey } from "./keys.ts";
import { leadOrigin } from "./lead_origin.ts";

/**
 * A lead a sweep stored because no webhook had brought it yet. "pending" until the grace period
 * after its submission has passed; then "lost" (no webhook came) or deleted (its webhook came late).
 */
export interface SweepFoundLead {
  state: "pending" | "lost";
  leadId: string;
  leadgenId: string | null;
  pageId: string;
  formId: string | null;
  /** ISO 8601: when the person submitted the form. */
  createdTime: string;
  /** ISO 8601: when the sweep stored it. */
  receivedAt: string;
}

/** The newest lead a webhook brought for a page. */
export interface LastWebhookLead {
  pageId: string;
  leadId: string;
  /** ISO 8601: when it arrived. */
  at: string;
}

/** How loss is judged; the defaults are those the README documents. */
export interface WebhookLossOptions {
  /** The window counted (default 24 hours). */
  windowMs?: number;
  /** Leads found only by sweeps within the window that make a page's webhooks "lost" (default 2). */
  threshold?: number;
  /**
   * How long after its submission a lead's webhook may still come (default 10 minutes): a lead a
   * sweep found is counted as lost only when no webhook brought it within this time (a late
   * webhook arrives as a duplicate, and is remembered by lib/leads/late_webhooks.ts).
   */
  graceMs?: number;
  /** How long records are kept (default 8 days). */
  retentionMs?: number;
}

/** One page's webhook record. */
export interface PageWebhookLoss {
  pageId: string;
  /** Leads found only by sweeps within the window. */
  foundInWindow: number;
  /** Leads found only by sweeps within the retention (about a week). */
  foundInRetention: number;
  /** ISO 8601 of the newest of those, or null. */
  lastFoundAt: string | null;
  /** ISO 8601 of the newest lead a webhook brought for the page, or null. */
  lastWebhookAt: string | null;
  /** The newest few leads found only by sweeps (for links on the Settings page). */
  recent: SweepFoundLead[];
  /** True when `foundInWindow` reached the threshold: the page's webhooks are being lost. */
  lost: boolean;
}

/** Every page with a webhook lead or a lead only a sweep found. */
export interface WebhookLossSummary {
  /** ISO 8601. */
  checkedAt: string;
  windowMs: number;
  threshold: number;
  pages: PageWebhookLoss[];
}

const HOUR_MS = 60 * 60 * 1000;
const DEFAULTS = {
  windowMs: 24 * HOUR_MS,
  threshold: 2,
  graceMs: 10 * 60 * 1000,
  retentionMs: 8 * 24 * HOUR_MS,
};
const FOLLOWER = "meta_health_lead_origins";
const MAX_RECORDS = 10_000;

function settings(options: WebhookLossOptions) {
  return { ...DEFAULTS, ...options };
}

/**
 * Whether a lead a sweep stored is one a webhook should have brought: it was submitted after
 * Leadline first saw its form (older leads are the first sweep's backfill, from before we were
 * subscribed).
 */
async function afterFormWasSeen(kv: Deno.Kv, lead: Lead): Promise<boolean> {
  if (lead.formId === null) return true;
  const form = await getReconcileForm(kv, lead.formId);
  return form === null || Date.parse(lead.createdTime) > Date.parse(form.discoveredAt);
}

/**
 * Records where each new Meta lead came from, following the lead change log: the last webhook
 * lead per page, and each lead a sweep found that a webhook should have brought (pending). Then
 * settles the pending ones whose grace period is over: lost, or forgotten when their webhook came
 * late. Idempotent.
 */
export async function recordLeadOrigins(
  kv: Deno.Kv,
  store: LeadStore,
  options: WebhookLossOptions & { now?: () => Date } = {},
): Promise<void> {
  const { graceMs, retentionMs } = settings(options);
  const now = options.now ?? (() => new Date());
  async function visit(leads: Lead[]) {
    const newest = new Map<string, LastWebhookLead>();
    for (const lead of leads) {
      if (lead.pageId === null) continue;
      const origin = leadOrigin(lead);
      if (origin === "webhook") {
        const known = newest.get(lead.pageId);
        if (!known || known.at < lead.receivedAt) {
          newest.set(lead.pageId, { pageId: lead.pageId, leadId: lead.id, at: lead.receivedAt });
        }
      } else if (origin === "sweep" && await afterFormWasSeen(kv, lead)) {
        const receivedMs = Date.parse(lead.receivedAt);
        const expireIn = receivedMs + retentionMs - now().getTime();
        if (expireIn <= 0) continue;
        const record: SweepFoundLead = {
          state: "pending",
          leadId: lead.id,
          leadgenId: lead.leadgenId,
          pageId: lead.pageId,
          formId: lead.formId,
          createdTime: lead.createdTime,
          receivedAt: lead.receivedAt,
        };
        // Only the first visit writes: a later change of the lead must not undo a settled record.
        const key = sweepFoundKey(lead.pageId, receivedMs, lead.id);
        await commitAtomic(
          kv.atomic().check({ key, versionstamp: null }).set(key, record, { expireIn }),
        );
      }
    }
    for (const last of newest.values()) {
      const stored = await kv.get<LastWebhookLead>(lastWebhookKey(last.pageId));
      if (stored.value && stored.value.at >= last.at) continue;
      // A lost race means another process stored a lead at least as new: nothing to do.
      await commitAtomic(kv.atomic().check(stored).set(lastWebhookKey(last.pageId), last));
    }
  }
  await catchUpLeadFollower(kv, store, FOLLOWER, {
    visit,
    async rebuild() {
      // Changes expired before we read them: look at every lead once.
      let cursor: string | null = null;
      do {
        const page = await store.listLeads({ limit: 500, cursor });
        await visit(page.leads);
        cursor = page.cursor;
      } while (cursor !== null);
    },
  });
  await settlePending(kv, now(), graceMs, retentionMs);
}

/** Pending records past their grace period become "lost", or go when their webhook came late. */
async function settlePending(kv: Deno.Kv, now: Date, graceMs: number, retentionMs: number) {
  const due: Deno.KvEntry<SweepFoundLead>[] = [];
  for await (const entry of kv.list<SweepFoundLead>({ prefix: SWEEP_FOUND_PREFIX })) {
    const record = entry.value;
    if (record.state !== "pending") continue;
    if (now.getTime() - Date.parse(record.createdTime) >= graceMs) due.push(entry);
  }
  if (due.length === 0) return;
  const late = await webhookDuplicatesOf(
    kv,
    due.flatMap((entry) => entry.value.leadgenId ? [entry.value.leadgenId] : []),
  );
  for (const entry of due) {
    const record = entry.value;
    const op = kv.atomic().check(entry);
    if (record.leadgenId !== null && late.has(record.leadgenId)) op.delete(entry.key);
    else {
      const expireIn = Date.parse(record.receivedAt) + retentionMs - now.getTime();
      if (expireIn <= 0) op.delete(entry.key);
      else op.set(entry.key, { ...record, state: "lost" }, { expireIn });
    }
    // A refused check means another process settled it first.
    await commitAtomic(op);
  }
}

/** Counts each page's leads found only by sweeps, within the window and the retention. */
export async function summarizeWebhookLoss(
  kv: Deno.Kv,
  options: WebhookLossOptions & { now?: () => Date } = {},
): Promise<WebhookLossSummary> {
  const { windowMs, threshold } = settings(options);
  const now = (options.now ?? (() => new Date()))();
  const since = now.getTime() - windowMs;
  const pages = new Map<string, PageWebhookLoss>();
  const pageOf = (pageId: string) => {
    let page = pages.get(pageId);
    if (!page) {
      page = {
        pageId,
        foundInWindow: 0,
        foundInRetention: 0,
        lastFoundAt: null,
        lastWebhookAt: null,
        recent: [],
        lost: false,
      };
      pages.set(pageId, page);
    }
    return page;
  };
  const found = kv.list<SweepFoundLead>({ prefix: SWEEP_FOUND_PREFIX }, {
    reverse: true,
    limit: MAX_RECORDS,
  });
  for await (const entry of found) {
    const record = entry.value;
    const receivedMs = entry.key[2] as number;
    if (record.state !== "lost" || receivedMs > now.getTime()) continue;
    const page = pageOf(record.pageId);
    page.foundInRetention++;
    if (receivedMs >= since) page.foundInWindow++;
    if (page.lastFoundAt === null || record.receivedAt > page.lastFoundAt) {
      page.lastFoundAt = record.receivedAt;
    }
    if (page.recent.length < 5) page.recent.push(record);
  }
  for await (const entry of kv.list<LastWebhookLead>({ prefix: LAST_WEBHOOK_PREFIX })) {
    pageOf(entry.value.pageId).lastWebhookAt = entry.value.at;
  }
  for (const page of pages.values()) {
    page.recent.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    page.lost = page.foundInWindow >= threshold;
  }
  return {
    checkedAt: now.toISOString(),
    windowMs,
    threshold,
    pages: [...pages.values()].sort((a, b) => a.pageId.localeCompare(b.pageId)),
  };
}
