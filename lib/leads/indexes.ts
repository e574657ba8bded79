// What the lead store writes beside each lead in the same commit: the indexes the dashboard views,
// search, routing and statistics read, so none of them scans every lead.
//
// Version 2 added the filter indexes (status, form, campaign, source and the search terms), each
// key's value a short summary of the lead's filterable fields so a filtered list checks the other
// conditions without reading the lead; the reports' counts in the hourly buckets; and the forms'
// questions and campaigns' names seen on leads.

import { leadSearchTerms } from "../format/lead_search.ts";
import { KV_MAX_VALUE_BYTES } from "../kv_value_size.ts";
import { RecordedWrites } from "../kv_writes.ts";
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
 * Longer answer names are not remembered as a form's questions: no form asks one, and the list
 * (FORM_QUESTIONS_MAX of them) must stay well inside one KV value, or the lead commits that write
 * it would fail.
 */
export const FORM_QUESTION_NAME_MAX = 200;
/** The most bytes of names a form's questions hold (see FORM_QUESTION_NAME_MAX). */
export const FORM_QUESTIONS_MAX_BYTES = 32_768;
/** A campaign's name is remembered this long at most (its leads keep it whole). */
export const CAMPAIGN_NAME_MAX = 500;

/**
 * One lead written by a commit: as it was (null for a new lead) and as it will be stored. (Erasing
 * a lead does not go through here: see addRemovalWrites.)
 */
export interface LeadWrite {
  before: Lead | null;
  after: Lead;
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
 * its commits set, and what removing the lead deletes (see indexKeysOf).
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
 * The mutations `addDerivedWrites` adds to a commit for a new lead on its own: its index keys
 * (addIndexWrites) and the shared keys it changes (counterKeysOf: its statistics bucket, and when
 * it has them the waiting count, its campaign's name and its form's questions). The lead store
 * counts the same two parts as it sizes its commits (the index keys as recorded writes, the shared
 * keys once per commit); a lead with a phone, a name, an email and answers takes about 22, at most
 * 36.
 */
export function derivedMutationsOf(lead: Lead): number {
  const writes = new RecordedWrites();
  const write: LeadWrite = { before: null, after: lead };
  addIndexWrites(writes.op, write);
  return writes.size.mutations + counterKeysOf([write]).length;
}

/** Reads KV entries (e.g. `kv.getMany`, or a cache in front of it), in the order of `keys`. */
export type CounterReader = (keys: Deno.KvKey[]) => Promise<Deno.KvEntryMaybe<unknown>[]>;

/**
 * A shared key a commit writes after reading it (a counter, a statistics bucket, a form's
 * questions): its new value, or null when it is deleted.
 */
export interface CounterWrite {
  key: Deno.KvKey;
  value: unknown;
}

/**
 * Adds to `op` every derived write that takes the leads of `writes` from `before` to `after`:
 * index keys set or deleted (addIndexWrites), then the waiting count, the hourly statistics
 * buckets and what the leads tell of their forms' questions and campaigns' names
 * (addCounterWrites). Call it once per commit with every lead the commit writes: the shared keys
 * add up all of them. Resolves with what it writes to the keys it read.
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
  options: { read?: CounterReader } = {},
): Promise<CounterWrite[]> {
  for (const write of writes) addIndexWrites(op, write);
  return await addCounterWrites(op, writes, options.read ?? ((keys) => getMany(kv, keys)));
}

/**
 * Adds to `op` the index keys that take one lead from `before` (as the version it is counted in
 * wrote them) to `after` (null: the lead is erased and every key of it deleted).
 */
export function addIndexWrites(op: Deno.AtomicOperation, { before, after }: LeadWrite): void {
  const counted = countedBefore(before);
  const old = counted ? indexEntries(counted, counted.indexed) : new Map<string, IndexEntry>();
  const next = indexEntries(after);
  for (const [name, entry] of old) {
    if (!next.has(name)) op.delete(entry.key);
  }
  for (const [name, entry] of next) {
    if (old.get(name)?.value !== entry.value) op.set(entry.key, entry.value);
  }
}

/**
 * The shared keys `writes` change (each written once per commit, and but for campaigns' names
 * read and checked), so a caller can size a commit before it is built.
 */
export function counterKeysOf(writes: LeadWrite[]): Deno.KvKey[] {
  const { hours, forms, campaigns, waitingDelta } = counterChanges(writes);
  return [
    ...readKeys(hours, forms, waitingDelta),
    ...[...campaigns.keys()].map(campaignKey),
  ];
}

/**
 * The most bytes the value of a key of counterKeysOf takes, for a caller sizing a commit: a
 * statistics bucket as much as one KV value, a form's questions and a campaign as much as they are
 * kept to, the waiting count a number.
 */
export function counterValueBytesMax(key: Deno.KvKey): number {
  if (key[0] === formQuestionsKey(null)[0]) {
    return FORM_QUESTIONS_MAX_BYTES + 4 * FORM_QUESTIONS_MAX;
  }
  if (key[0] === campaignKey("")[0]) return 4 * CAMPAIGN_NAME_MAX + 256;
  if (key[0] === waitingCountKey()[0] && key.length === waitingCountKey().length) return 16;
  return KV_MAX_VALUE_BYTES;
}

/**
 * Adds to `op` the waiting count, the hourly statistics buckets and the forms' questions that
 * `writes` change, each read through `read`, changed, written back, and checked: the commit fails
 * if any of them changed after it was read, so two writers racing on one of them never lose an
 * update (one commit fails and its writer tries again with fresh reads). The lead store's commits
 * also check the change head, which every one of them moves; the checks here keep the counters
 * safe by themselves, whatever else a commit checks. A campaign's name is set as its leads last
 * said it, without a read. Resolves with what it writes to the keys it read.
 */
export async function addCounterWrites(
  op: Deno.AtomicOperation,
  writes: LeadWrite[],
  read: CounterReader,
): Promise<CounterWrite[]> {
  const { hours, forms, campaigns, waitingDelta, moves } = counterChanges(writes);
  for (const campaign of campaigns.values()) op.set(campaignKey(campaign.id), campaign);
  const keys = readKeys(hours, forms, waitingDelta);
  if (keys.length === 0) return [];
  const entries = await read(keys);
  for (const entry of entries) op.check({ key: entry.key, versionstamp: entry.versionstamp });
  const buckets = new Map<number, StatsBucket>();
  hours.forEach((hour, i) =>
    // A copy: the reader may hand out what a cache holds.
    buckets.set(hour, structuredClone(entries[i].value as StatsBucket | null) ?? emptyBucket())
  );
  for (const { from, to } of moves) {
    if (from) applyContribution(buckets.get(from.hourMs)!, from, -1);
    if (to) applyContribution(buckets.get(to.hourMs)!, to, 1);
  }
  const written: CounterWrite[] = [];
  for (const [hour, bucket] of buckets) {
    const key = statsHourKey(hour);
    if (Object.keys(bucket.owners).length === 0) {
      op.delete(key);
      written.push({ key, value: null });
    } else {
      op.set(key, bucket);
      written.push({ key, value: bucket });
    }
  }
  [...forms.keys()].forEach((form, i) => {
    const known = (entries[hours.length + i].value as string[] | null) ?? [];
    // Hand-entered answers may be named anything: the list stays a bounded size.
    const value = [...known];
    let bytes = known.reduce((sum, name) => sum + utf8Length(name), 0);
    for (const name of new Set(forms.get(form))) {
      if (value.length >= FORM_QUESTIONS_MAX) break;
      if (value.includes(name) || bytes + utf8Length(name) > FORM_QUESTIONS_MAX_BYTES) continue;
      value.push(name);
      bytes += utf8Length(name);
    }
    if (value.length > known.length) {
      op.set(formQuestionsKey(form), value);
      written.push({ key: formQuestionsKey(form), value });
    }
  });
  if (waitingDelta !== 0) {
    const waiting = (entries[hours.length + forms.size].value as number | null) ?? 0;
    const value = Math.max(0, waiting + waitingDelta);
    op.set(waitingCountKey(), value);
    written.push({ key: waitingCountKey(), value });
  }
  return written;
}

/**
 * Every index key `lead` has, as addIndexWrites sets them in this version: what removing the lead
 * deletes. Taken from the same derivation as the writes, so a new kind of index key is covered by
 * itself; a lead counted in an older version has a subset of these keys (each version only added
 * keys), and deleting an absent key is harmless.
 */
export function indexKeysOf(lead: Lead): Deno.KvKey[] {
  return [...indexEntries(lead).values()].map((entry) => entry.key);
}

/**
 * Adds to `op` the derived writes that remove `lead` for good: every index key it has deleted
 * (its search terms and filter keys too: they hold its name, phone and email), and the waiting
 * count lowered when it was waiting (checked, as addCounterWrites checks it). The hourly
 * statistics buckets keep it: they hold counts and durations, no personal data, and they are the
 * history of what the team did (a lead erased today still counted in today's figures); so do a
 * form's questions and a campaign's name, which are the form's and the campaign's, not the lead's.
 * Resolves with what it writes to the counters.
 */
export async function addRemovalWrites(
  op: Deno.AtomicOperation,
  lead: Lead,
  read: CounterReader,
): Promise<CounterWrite[]> {
  // Keys of a lead not yet counted (an old record) are deleted all the same: deleting an absent
  // key is harmless, and a half-indexed record leaves nothing behind.
  for (const key of indexKeysOf(lead)) op.delete(key);
  const counted = countedBefore(lead);
  if (!counted || !isWaiting(counted)) return [];
  const [entry] = await read([waitingCountKey()]);
  op.check({ key: entry.key, versionstamp: entry.versionstamp });
  const value = Math.max(0, ((entry.value as number | null) ?? 0) - 1);
  op.set(waitingCountKey(), value);
  return [{ key: waitingCountKey(), value }];
}

/** The shared keys addCounterWrites reads, in the order it reads them. */
function readKeys(hours: number[], forms: Map<string, string[]>, waitingDelta: number) {
  return [
    ...hours.map(statsHourKey),
    ...[...forms.keys()].map(formQuestionsKey),
    ...(waitingDelta !== 0 ? [waitingCountKey()] : []),
  ];
}

/** A lead as counted in the indexes and statistics before a write: null when it was not. */
function countedBefore(before: Lead | null): (Lead & { indexed: number }) | null {
  return before !== null && (before.indexed ?? 0) > 0 ? before as Lead & { indexed: number } : null;
}

/**
 * What `writes` change in the shared keys: the buckets' hours and the moves between them, the
 * waiting delta, the forms with questions not seen on their leads before (by form, the names),
 * and the campaigns whose name the leads tell anew.
 */
function counterChanges(writes: LeadWrite[]) {
  let waitingDelta = 0;
  const moves: { from: LeadContribution | null; to: LeadContribution | null }[] = [];
  const campaigns = new Map<string, CampaignSeen>();
  const forms = new Map<string, string[]>();
  for (const { before, after } of writes) {
    const counted = countedBefore(before);
    const version = counted?.indexed ?? 0;
    waitingDelta += (isWaiting(after) ? 1 : 0) - (counted && isWaiting(counted) ? 1 : 0);
    const from = counted ? contributionOf(counted, version) : null;
    const to = contributionOf(after);
    if (!sameContribution(from, to)) moves.push({ from, to });
    const fresh = counted === null || version < 2;
    if (
      after.campaignId &&
      (fresh || counted.campaignId !== after.campaignId ||
        counted.campaignName !== after.campaignName)
    ) {
      campaigns.set(after.campaignId, {
        id: after.campaignId,
        name: after.campaignName?.slice(0, CAMPAIGN_NAME_MAX) ?? null,
      });
    }
    const names = questionNames(after);
    const namesBefore = fresh ? [] : questionNames(counted);
    if (
      names.some((name) => !namesBefore.includes(name)) ||
      (!fresh && names.length > 0 && counted.formId !== after.formId)
    ) {
      const form = after.formId ?? NO_FORM;
      forms.set(form, [...(forms.get(form) ?? []), ...names]);
    }
  }
  const hours = [
    ...new Set(moves.flatMap(({ from, to }) => [from?.hourMs, to?.hourMs])),
  ].filter((hour): hour is number => hour !== undefined);
  return { hours, waitingDelta, moves, forms, campaigns };
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** The answer names of `lead` that may be remembered as its form's questions. */
function questionNames(lead: Lead): string[] {
  return (lead.answers ?? []).map((answer) => answer.name)
    .filter((name) => name.length <= FORM_QUESTION_NAME_MAX);
}

async function getMany(kv: Deno.Kv, keys: Deno.KvKey[]): Promise<Deno.KvEntryMaybe<unknown>[]> {
  const out: Deno.KvEntryMaybe<unknown>[] = [];
  for (let i = 0; i < keys.length; i += 10) out.push(...await kv.getMany(keys.slice(i, i + 10)));
  return out;
}
