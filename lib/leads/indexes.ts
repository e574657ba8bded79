// What the lead store writes beside each lead in the same commit: the indexes the dashboard views,
// search, routing and statistics read, so none of them scans every lead.
//
// Version 2 added the filter indexes (status, form, campaign, source and the search terms), each
// key's value a short summary of the lead's filterable fields so a filtered list checks the other
// conditions without reading the lead; the reports' counts in the hourly buckets; and the forms'
// questions and campaigns' names seen on leads.

import { leadSearchTerms } from "../format/lead_search.ts";
import {
  applyContribution,
  emptyBucket,
  type FunnelStage,
  hourStart,
  type LeadContribution,
  sameContribution,
  type StatsBucket,
} from "../stats/buckets.ts";
import { statsHourKey, waitingCountKey } from "../stats/keys.ts";
import { campaignKey, type CampaignSeen, formQuestionsKey, NO_FORM } from "./dimensions.ts";
import {
  leadByAssignedKey,
  leadByCampaignKey,
  leadByFollowUpKey,
  leadByFormKey,
  leadByOwnerKey,
  leadBySourceKey,
  leadByStatusKey,
  leadByTermKey,
  leadUnownedWaitingKey,
  leadWaitingKey,
} from "./keys.ts";
import { FUNNEL_RANK, type Lead } from "./model.ts";
import { speedToLeadMs } from "./speed_to_lead.ts";

/**
 * The version of what this module derives. A lead record carries the version it is counted in
 * (`indexed`); one stored before (no `indexed`) has no index entries and is in no statistics, so
 * its next write adds it rather than moving it. One counted in an older version has that version's
 * entries, which its next write moves to this version's.
 */
export const INDEX_VERSION = 2;

/** The most questions remembered per form (the export's columns). */
export const FORM_QUESTIONS_MAX = 200;

/**
 * One lead written by a commit: as it was (null for a new lead) and as it will be stored (null
 * for a lead being erased: its index keys are deleted and its counts taken away).
 */
export interface LeadWrite {
  before: Lead | null;
  after: Lead | null;
}

/** True for a lead in status new that nobody has contacted yet: its clock is running. */
export function isWaiting(
  lead: Pick<Lead, "status" | "firstContactAt" | "timeline" | "createdTime" | "source">,
): boolean {
  return lead.status === "new" && speedToLeadMs(lead) === null;
}

/** Where `lead` got in the funnel: its furthest status, and contacted once anyone got back to it. */
export function funnelStageOf(lead: Lead): FunnelStage {
  const rank = Math.max(FUNNEL_RANK[lead.status] ?? 0, FUNNEL_RANK[lead.furthestStage ?? ""] ?? 0);
  return Math.max(rank, speedToLeadMs(lead) !== null ? 1 : 0) as FunnelStage;
}

/** What `lead` adds to the hourly statistics (as version `version` counted it). */
export function contributionOf(lead: Lead, version: number = INDEX_VERSION): LeadContribution {
  const contribution: LeadContribution = {
    hourMs: hourStart(Date.parse(lead.createdTime)),
    owner: lead.ownerId ?? "",
    firstContactMs: speedToLeadMs(lead),
  };
  if (version >= 2) {
    contribution.dims = {
      form: lead.formId ?? "",
      campaign: lead.campaignId ?? "",
      source: lead.source,
      stage: funnelStageOf(lead),
    };
  }
  return contribution;
}

/**
 * What the filter indexes' values hold: the lead's filterable fields, so a list filtered on one
 * index checks the others without reading the lead.
 */
export interface LeadSummary {
  status: string;
  waiting: boolean;
  ownerId: string | null;
  formId: string | null;
  campaignId: string | null;
  source: string;
}

/** The summary of `lead`, as written into its filter index values. */
export function summaryOf(lead: Lead): LeadSummary {
  return {
    status: lead.status,
    waiting: isWaiting(lead),
    ownerId: lead.ownerId ?? null,
    formId: lead.formId ?? null,
    campaignId: lead.campaignId ?? null,
    source: lead.source,
  };
}

// Short, as it is written once per index key: "status|w|owner|form|campaign|source".
/** A summary as stored. */
export function encodeSummary(summary: LeadSummary): string {
  return [
    summary.status,
    summary.waiting ? "w" : "",
    summary.ownerId ?? "",
    summary.formId ?? "",
    summary.campaignId ?? "",
    summary.source,
  ].join("|");
}

/** A stored summary read back; null for a value that is not one. */
export function decodeSummary(value: unknown): LeadSummary | null {
  if (typeof value !== "string") return null;
  const parts = value.split("|");
  if (parts.length !== 6) return null;
  return {
    status: parts[0],
    waiting: parts[1] === "w",
    ownerId: parts[2] || null,
    formId: parts[3] || null,
    campaignId: parts[4] || null,
    source: parts[5],
  };
}

/** One derived index key of a lead and the value written with it. */
export interface IndexEntry {
  key: Deno.KvKey;
  value: string | null;
}

/**
 * Every index key `lead` has (as version `version` writes them), by a name unique per key: what
 * its commits set, and what erasing the lead must delete (see leadIndexKeys).
 */
export function indexEntries(lead: Lead, version: number = INDEX_VERSION): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  const createdMs = Date.parse(lead.createdTime);
  const owner = lead.ownerId ?? null;
  const add = (key: Deno.KvKey, value: string | null) =>
    entries.set(JSON.stringify(key), { key, value });
  add(leadByOwnerKey(owner, createdMs, lead.id), lead.id);
  const waiting = isWaiting(lead);
  if (waiting) add(leadWaitingKey(createdMs, lead.id), lead.id);
  if (waiting && owner === null) add(leadUnownedWaitingKey(createdMs, lead.id), lead.id);
  const followUp = lead.nextFollowUpAt ? Date.parse(lead.nextFollowUpAt) : NaN;
  if (Number.isFinite(followUp) && lead.status !== "won" && lead.status !== "lost") {
    add(leadByFollowUpKey(followUp, lead.id), owner);
  }
  const assigned = lead.assignedAt ? Date.parse(lead.assignedAt) : NaN;
  if (waiting && owner !== null && Number.isFinite(assigned)) {
    add(leadByAssignedKey(assigned, lead.id), owner);
  }
  if (version < 2) return entries;
  const summary = encodeSummary(summaryOf(lead));
  add(leadByStatusKey(lead.status, createdMs, lead.id), summary);
  if (lead.formId) add(leadByFormKey(lead.formId, createdMs, lead.id), summary);
  if (lead.campaignId) add(leadByCampaignKey(lead.campaignId, createdMs, lead.id), summary);
  add(leadBySourceKey(lead.source, createdMs, lead.id), summary);
  for (const term of leadSearchTerms(lead)) {
    add(leadByTermKey(term, createdMs, lead.id), summary);
  }
  return entries;
}

/**
 * The most mutations `addDerivedWrites` adds to a commit for a new lead: one per index key, its
 * statistics bucket, and when it has them its campaign's name, the waiting count and its form's
 * questions (the last three, and buckets, are shared by the leads of one commit). For a store
 * sizing its commits within KV's 1,000 mutations (a lead with a phone, a name, an email and
 * answers: about 22; at most 36).
 */
export function derivedMutationsOf(lead: Lead): number {
  return indexEntries(lead).size + 1 + (lead.campaignId ? 1 : 0) + (isWaiting(lead) ? 1 : 0) +
    ((lead.answers ?? []).length > 0 ? 1 : 0);
}

/**
 * Every derived index key `lead` has in KV (the lead as stored, in the version it is counted in):
 * the keys to delete with it when it is erased. Derived by the same code that writes them. The
 * lead's own record, its leadgen dedupe key, its created-time key, timeline and activities are the
 * store's (lib/leads/keys.ts). `addDerivedWrites` with `after` null deletes these same keys and
 * takes the lead's counts away, in the erasing commit.
 */
export function leadIndexKeys(lead: Lead): Deno.KvKey[] {
  if (lead.indexed === undefined) return [];
  return [...indexEntries(lead, lead.indexed).values()].map((entry) => entry.key);
}

/**
 * Adds to `op` every derived write that takes the leads of `writes` from `before` to `after`:
 * index keys set or deleted, the waiting count, the hourly statistics buckets, and what the leads
 * tell of their forms' questions and campaigns' names. It reads the counters, buckets and question
 * lists it changes; that is safe without checking them because only lead store commits write them
 * and every such commit checks the change head, so a racing writer makes one of the two commits
 * fail and retry with fresh reads.
 *
 * Mutations per lead: one per index key that changes (a new lead with a phone, a name, an email
 * and answers has about 18: 1 to 4 of the views', 4 filter keys and up to 24 search terms, see
 * LEAD_TERMS_MAX; derivedMutationsOf says it for one lead), a change of status or owner rewrites
 * the lead's filter keys (their values carry both); plus per commit one per statistics hour
 * touched, one per form with new questions and one per campaign whose name its leads changed.
 */
export async function addDerivedWrites(
  kv: Deno.Kv,
  op: Deno.AtomicOperation,
  writes: LeadWrite[],
): Promise<void> {
  let waitingDelta = 0;
  const moves: { from: LeadContribution | null; to: LeadContribution | null }[] = [];
  const campaigns = new Map<string, CampaignSeen>();
  const questionsSeen = new Map<string, string[]>();
  for (const { before, after } of writes) {
    const version = before?.indexed ?? 0;
    const counted = before !== null && version > 0 ? before : null;
    const old = counted ? indexEntries(counted, version) : new Map<string, IndexEntry>();
    const next = after ? indexEntries(after) : new Map<string, IndexEntry>();
    for (const [name, entry] of old) {
      if (!next.has(name)) op.delete(entry.key);
    }
    for (const [name, entry] of next) {
      if (old.get(name)?.value !== entry.value) op.set(entry.key, entry.value);
    }
    waitingDelta += (after && isWaiting(after) ? 1 : 0) - (counted && isWaiting(counted) ? 1 : 0);
    const from = counted ? contributionOf(counted, version) : null;
    const to = after ? contributionOf(after) : null;
    if (!sameContribution(from, to)) moves.push({ from, to });
    if (after === null) continue;
    const fresh = counted === null || version < 2;
    if (
      after.campaignId &&
      (fresh || counted.campaignId !== after.campaignId ||
        counted.campaignName !== after.campaignName)
    ) {
      campaigns.set(after.campaignId, { id: after.campaignId, name: after.campaignName ?? null });
    }
    const names = (after.answers ?? []).map((answer) => answer.name);
    const namesBefore = fresh ? [] : (counted.answers ?? []).map((answer) => answer.name);
    if (
      names.some((name) => !namesBefore.includes(name)) ||
      (!fresh && counted.formId !== after.formId)
    ) {
      const form = after.formId ?? NO_FORM;
      questionsSeen.set(form, [...(questionsSeen.get(form) ?? []), ...names]);
    }
  }
  for (const campaign of campaigns.values()) op.set(campaignKey(campaign.id), campaign);
  const hours = [
    ...new Set(moves.flatMap(({ from, to }) => [from?.hourMs, to?.hourMs])),
  ].filter((hour): hour is number => hour !== undefined);
  const forms = [...questionsSeen.keys()];
  const keys: Deno.KvKey[] = [
    ...hours.map(statsHourKey),
    ...forms.map(formQuestionsKey),
    ...(waitingDelta !== 0 ? [waitingCountKey()] : []),
  ];
  if (keys.length === 0) return;
  const entries = await getMany(kv, keys);
  const buckets = new Map<number, StatsBucket>();
  hours.forEach((hour, i) =>
    buckets.set(hour, (entries[i].value as StatsBucket | null) ?? emptyBucket())
  );
  for (const { from, to } of moves) {
    if (from) applyContribution(buckets.get(from.hourMs)!, from, -1);
    if (to) applyContribution(buckets.get(to.hourMs)!, to, 1);
  }
  for (const [hour, bucket] of buckets) {
    if (Object.keys(bucket.owners).length === 0) op.delete(statsHourKey(hour));
    else op.set(statsHourKey(hour), bucket);
  }
  forms.forEach((form, i) => {
    const known = (entries[hours.length + i].value as string[] | null) ?? [];
    const added = [...new Set(questionsSeen.get(form))].filter((name) => !known.includes(name));
    // Hand-entered answers may be named anything: the list stays a bounded size.
    const room = Math.max(0, FORM_QUESTIONS_MAX - known.length);
    if (added.length > 0 && room > 0) {
      op.set(formQuestionsKey(form), [...known, ...added.slice(0, room)]);
    }
  });
  if (waitingDelta !== 0) {
    const waiting = (entries[hours.length + forms.length].value as number | null) ?? 0;
    op.set(waitingCountKey(), Math.max(0, waiting + waitingDelta));
  }
}

async function getMany(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<unknown>[]> {
  const out: Deno.KvEntryMaybe<unknown>[] = [];
  for (let i = 0; i < keys.length; i += 10) out.push(...await kv.getMany(keys.slice(i, i + 10)));
  return out;
}
