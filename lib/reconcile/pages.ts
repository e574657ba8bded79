// The pages reconciliation sweeps: configured ones, every page a lead arrived from, and those added in settings.

import { commitAtomic } from "../kv_commit.ts";
import { DomainError } from "../errors.ts";
import type { LeadWrite } from "../leads/indexes.ts";
import { catchUpLeadFollower } from "../leads/lead_follower.ts";
import type { LeadStore } from "../leads/store.ts";
import { SEEN_PAGES_PREFIX, seenPageKey, SETTINGS_PAGES_PREFIX, settingsPageKey } from "./keys.ts";
import type { KnownPage } from "./types.ts";

const PAGE_ID = /^\d{1,30}$/;
/** The name of the lead follower that records pages leads arrived from. */
const FOLLOWER = "reconcile_pages";

/** `pageId` is not a Meta page id. */
export class PageIdError extends DomainError {
  /** Make the error for the value given. */
  constructor(value: unknown) {
    super(
      "invalid_input",
      `Cannot use page id ${JSON.stringify(value)}: a page id is a string of digits`,
      {
        details: {
          fields: { pageId: "A page id is a number: digits only, e.g. 104538291876543." },
        },
      },
    );
  }
}

/** Whether `value` looks like a Meta page id: 1 to 30 digits. */
export function isPageId(value: unknown): value is string {
  return typeof value === "string" && PAGE_ID.test(value);
}

function assertPageId(pageId: unknown): asserts pageId is string {
  if (!isPageId(pageId)) throw new PageIdError(pageId);
}

/** Records pages leads arrived from (`["pages", pageId]`); a page already known is left as is. */
export async function recordSeenPages(kv: Deno.Kv, pageIds: Iterable<string>, now: Date) {
  const wanted = [...new Set(pageIds)].filter((pageId) => PAGE_ID.test(pageId));
  for (let i = 0; i < wanted.length; i += 10) {
    const chunk = wanted.slice(i, i + 10);
    const entries = await kv.getMany<KnownPage[]>(chunk.map(seenPageKey));
    const op = kv.atomic();
    let writes = 0;
    entries.forEach((entry, j) => {
      if (entry.value !== null) return;
      op.check(entry).set(seenPageKey(chunk[j]), { pageId: chunk[j], addedAt: now.toISOString() });
      writes++;
    });
    // A failed check means another process recorded the page first: nothing left to do.
    if (writes > 0) await commitAtomic(op);
  }
}

/**
 * The page record of one lead write, for the lead store's `deriveWrites`: the commit that first
 * stores a lead from a page this process has not recorded yet also records the page, so the
 * pages to sweep never lag behind the leads and nobody catches them up in a request. (Another
 * process may record it again; `addedAt` is then its time, which nothing orders by.)
 */
export function seenPageWrites(
  now: () => Date = () => new Date(),
): (op: Deno.AtomicOperation, write: LeadWrite) => void {
  const recorded = new Set<string>();
  return (op, { before, after }) => {
    const pageId = after.pageId;
    if (!pageId || before?.pageId === pageId || recorded.has(pageId) || !PAGE_ID.test(pageId)) {
      return;
    }
    // Remembered at once: a commit that is retried replays the same writes.
    recorded.add(pageId);
    op.set(seenPageKey(pageId), { pageId, addedAt: now().toISOString() } satisfies KnownPage);
  };
}

/**
 * Brings `["pages", …]` up to date with every lead stored since the last call, through the lead
 * change log: a background backfill for leads stored before pages were recorded in their
 * commits (`seenPageWrites`); never called in a request.
 */
export async function followLeadPages(kv: Deno.Kv, store: LeadStore, now: Date): Promise<void> {
  await catchUpLeadFollower(kv, store, FOLLOWER, {
    async visit(leads) {
      await recordSeenPages(kv, leads.flatMap((lead) => lead.pageId ? [lead.pageId] : []), now);
    },
    async rebuild() {
      // Changes expired before we read them: look at every lead once.
      let cursor: string | null = null;
      do {
        const page = await store.listLeads({ limit: 500, cursor });
        await recordSeenPages(
          kv,
          page.leads.flatMap((lead) => lead.pageId ? [lead.pageId] : []),
          now,
        );
        cursor = page.cursor;
      } while (cursor !== null);
    },
  });
}

/** Adds a page to sweep (settings); adding it twice changes nothing. */
export async function addSettingsPage(kv: Deno.Kv, pageId: string, now: Date): Promise<KnownPage> {
  assertPageId(pageId);
  const existing = (await kv.get<KnownPage>(settingsPageKey(pageId))).value;
  if (existing) return existing;
  const page: KnownPage = { pageId, addedAt: now.toISOString() };
  await kv.set(settingsPageKey(pageId), page);
  return page;
}

/** Removes a page added in settings; true when it was there. */
export async function removeSettingsPage(kv: Deno.Kv, pageId: string): Promise<boolean> {
  assertPageId(pageId);
  const existing = await kv.get(settingsPageKey(pageId));
  if (existing.value === null) return false;
  await kv.delete(settingsPageKey(pageId));
  return true;
}

/** The pages added in settings. */
export async function listSettingsPages(kv: Deno.Kv): Promise<KnownPage[]> {
  return await listPages(kv, SETTINGS_PAGES_PREFIX);
}

/** The pages leads arrived from. */
export async function listSeenPages(kv: Deno.Kv): Promise<KnownPage[]> {
  return await listPages(kv, SEEN_PAGES_PREFIX);
}

/** Every page to sweep: `configured` ones, pages leads arrived from, pages added in settings. */
export async function listKnownPageIds(
  kv: Deno.Kv,
  configured: Iterable<string>,
): Promise<string[]> {
  const ids = new Set<string>();
  for (const pageId of configured) if (PAGE_ID.test(pageId)) ids.add(pageId);
  for (const page of await listSeenPages(kv)) ids.add(page.pageId);
  for (const page of await listSettingsPages(kv)) ids.add(page.pageId);
  return [...ids].sort();
}

async function listPages(kv: Deno.Kv, prefix: Deno.KvKey): Promise<KnownPage[]> {
  const pages: KnownPage[] = [];
  for await (const entry of kv.list<KnownPage>({ prefix })) pages.push(entry.value);
  return pages;
}

/**
 * The `listPages` of a live reconciler: the configured pages, the pages leads arrived from
 * (recorded in the leads' own commits) and the pages added in settings.
 */
export function knownPagesLister(
  kv: Deno.Kv,
  configured: () => Iterable<string>,
): () => Promise<string[]> {
  return function listPagesToSweep() {
    return listKnownPageIds(kv, configured());
  };
}
