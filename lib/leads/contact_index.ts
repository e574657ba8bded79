// Finds recent Meta leads by normalised phone or email, so a hand-entered lead can be flagged as a possible duplicate.

import { commitAtomic } from "../kv_commit.ts";
import { checkLeadEmail, normalisePhone } from "./contact.ts";
import type { LeadWrite } from "./indexes.ts";
import { catchUpLeadFollower } from "./lead_follower.ts";
import type { Lead } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** `["leads_by_phone", phone, leadId]` -> ContactIndexEntry; expires when the lead leaves the window. */
export function leadByPhoneKey(phone: string, leadId: string): Deno.KvKey {
  return ["leads_by_phone", phone, leadId];
}

/** `["leads_by_email", email, leadId]` -> ContactIndexEntry; expires when the lead leaves the window. */
export function leadByEmailKey(email: string, leadId: string): Deno.KvKey {
  return ["leads_by_email", email, leadId];
}

/** What an index key holds. */
export interface ContactIndexEntry {
  leadId: string;
  /** ISO 8601, the lead's createdTime. */
  createdTime: string;
}

/** Options of the contact index. */
export interface ContactIndexOptions {
  /** Country for national phone numbers (e.g. "US"), or null to compare digits. */
  defaultCountry: string | null;
  /** How far back a Meta lead counts as a match (default 30 days). */
  windowMs?: number;
  now?: () => Date;
}

const DEFAULT_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** The name of the lead follower that keeps the index. */
const FOLLOWER = "contact_index";

/** The normalised phone and email a lead is found by; null for what it lacks or what is invalid. */
export function contactKeysOf(
  contact: { phone: string | null; email: string | null },
  defaultCountry: string | null,
): { phone: string | null; email: string | null } {
  const phone = contact.phone ? normalisePhone(contact.phone, defaultCountry) : null;
  const email = contact.email ? checkLeadEmail(contact.email) : null;
  return { phone: phone?.ok ? phone.phone : null, email: email?.ok ? email.email : null };
}

/**
 * Writes index keys for the Meta leads among `leads` created within the window. Each key expires
 * when its lead leaves the window, so the index prunes itself. Writing a key twice is harmless.
 */
export async function indexLeadContacts(
  kv: Deno.Kv,
  leads: Lead[],
  options: ContactIndexOptions,
): Promise<void> {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const now = (options.now ?? (() => new Date()))().getTime();
  let op = kv.atomic();
  let writes = 0;
  for (const lead of leads) {
    if (lead.source !== "meta") continue;
    const expireIn = Date.parse(lead.createdTime) + windowMs - now;
    if (!(expireIn > 0)) continue;
    const keys = contactKeysOf(lead, options.defaultCountry);
    const entry: ContactIndexEntry = { leadId: lead.id, createdTime: lead.createdTime };
    if (keys.phone) op.set(leadByPhoneKey(keys.phone, lead.id), entry, { expireIn });
    if (keys.email) op.set(leadByEmailKey(keys.email, lead.id), entry, { expireIn });
    writes += 2;
    if (writes >= 200) {
      await commitAtomic(op);
      op = kv.atomic();
      writes = 0;
    }
  }
  if (writes > 0) await commitAtomic(op);
}

/**
 * The index keys of one lead write, for the lead store's `deriveWrites`: every commit that stores
 * a Meta lead of the window with a phone or email it did not hold before sets its keys (expiring
 * when the lead leaves the window) and deletes those of the contact it held, so the index is
 * never behind the leads and no request has to catch it up.
 */
export function contactIndexWrites(
  options: ContactIndexOptions,
): (op: Deno.AtomicOperation, write: LeadWrite) => void {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  return (op, { before, after }) => {
    if (after.source !== "meta") return;
    const next = contactKeysOf(after, options.defaultCountry);
    const old = before?.source === "meta"
      ? contactKeysOf(before, options.defaultCountry)
      : { phone: null, email: null };
    if (old.phone === next.phone && old.email === next.email) return;
    if (old.phone && old.phone !== next.phone) op.delete(leadByPhoneKey(old.phone, after.id));
    if (old.email && old.email !== next.email) op.delete(leadByEmailKey(old.email, after.id));
    const now = (options.now ?? (() => new Date()))().getTime();
    const expireIn = Date.parse(after.createdTime) + windowMs - now;
    if (!(expireIn > 0)) return;
    const entry: ContactIndexEntry = { leadId: after.id, createdTime: after.createdTime };
    if (next.phone && next.phone !== old.phone) {
      op.set(leadByPhoneKey(next.phone, after.id), entry, { expireIn });
    }
    if (next.email && next.email !== old.email) {
      op.set(leadByEmailKey(next.email, after.id), entry, { expireIn });
    }
  };
}

/**
 * Brings the index up to date with every lead change since the last call (webhook leads get
 * their phone and email when their details arrive, which is an update in the change log). When
 * changes expired unread, it indexes the leads of the whole window again. A background backfill
 * for leads stored before the index was written in their commits; never called in a request.
 */
export async function updateContactIndex(
  kv: Deno.Kv,
  store: LeadStore,
  options: ContactIndexOptions,
): Promise<void> {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  await catchUpLeadFollower(kv, store, FOLLOWER, {
    visit: (leads) => indexLeadContacts(kv, leads, options),
    async rebuild() {
      const oldest = (options.now ?? (() => new Date()))().getTime() - windowMs;
      let cursor: string | null = null;
      do {
        const page = await store.listLeads({ limit: 500, cursor });
        await indexLeadContacts(kv, page.leads, options);
        const last = page.leads.at(-1);
        cursor = last && Date.parse(last.createdTime) >= oldest ? page.cursor : null;
      } while (cursor !== null);
    },
  });
}

/**
 * The newest Meta lead created within the window whose phone or email matches, or null. The
 * index is written in each lead's own commit (`contactIndexWrites`), so a webhook lead fetched a
 * moment ago counts and nothing is caught up here, however many leads are stored. With
 * `earlierThan` (a Meta lead itself), only leads created before it count, never itself.
 */
export async function findPossibleDuplicate(
  kv: Deno.Kv,
  store: LeadStore,
  contact: { phone: string | null; email: string | null },
  options: ContactIndexOptions & { earlierThan?: Pick<Lead, "id" | "createdTime"> },
): Promise<Lead | null> {
  const keys = contactKeysOf(contact, options.defaultCountry);
  if (!keys.phone && !keys.email) return null;
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const oldest = (options.now ?? (() => new Date()))().getTime() - windowMs;
  const ids = new Set<string>();
  const prefixes: Deno.KvKey[] = [];
  if (keys.phone) prefixes.push(["leads_by_phone", keys.phone]);
  if (keys.email) prefixes.push(["leads_by_email", keys.email]);
  for (const prefix of prefixes) {
    for await (const entry of kv.list<ContactIndexEntry>({ prefix }, { limit: 50 })) {
      ids.add(entry.value.leadId);
    }
  }
  let best: Lead | null = null;
  for (const id of ids) {
    const lead = await store.getLead(id);
    if (!lead || lead.source !== "meta" || Date.parse(lead.createdTime) < oldest) continue;
    const later = options.earlierThan;
    if (later && (lead.id === later.id || isLaterLead(lead, later))) continue;
    // The lead's contact may have changed since it was indexed: match what it holds now.
    const current = contactKeysOf(lead, options.defaultCountry);
    const matches = (keys.phone !== null && current.phone === keys.phone) ||
      (keys.email !== null && current.email === keys.email);
    if (matches && (best === null || lead.createdTime > best.createdTime)) best = lead;
  }
  return best;
}

/** True when `a` came in after `b` (created later, or at the same time with a later id). */
function isLaterLead(
  a: Pick<Lead, "id" | "createdTime">,
  b: Pick<Lead, "id" | "createdTime">,
): boolean {
  const at = Date.parse(a.createdTime), bt = Date.parse(b.createdTime);
  return at > bt || (at === bt && a.id > b.id);
}
