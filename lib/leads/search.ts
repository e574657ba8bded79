// Filtered lead lists from the KV indexes, never by scanning every lead: each condition has an
// index, listed in the order asked for; the conditions are checked on the index values (each
// holds a summary of the lead) or, for the indexes that hold only ids, on the lead records.
//
// Which index to walk: every index that serves a condition yields the same leads in the same order,
// so they are walked side by side, a growing batch at a time, and the first to fill the page (or to
// end) answers. That costs at most a few times the best choice, with no statistics to keep.
// A search (`q`) lists each word's terms by string prefix (lib/format/lead_search.ts); when a
// word's matches are few enough to hold, the words' sets are intersected and sorted, else the
// search is checked on the records of an ordinary walk.

import { compareForSort, matchesLeadFilter } from "../format/lead_filter.ts";
import { searchWords } from "../format/lead_search.ts";
import { InvalidCursorError } from "../errors.ts";
import type { LeadFilter } from "../wire.ts";
import { decodeSummary, type LeadSummary } from "./indexes.ts";
import { FILTER_INDEX_PREFIXES, NO_OWNER } from "./keys.ts";
import { type Lead, toLeadJson } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** One lead found in an index: when it was created, its id, and its summary when the index has it. */
export interface LeadHit {
  createdMs: number;
  id: string;
  summary: LeadSummary | null;
}

/** A page of a filtered list. */
export interface LeadSearchPage {
  leads: Lead[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  cursor: string | null;
}

/** Options of `searchLeads`. */
export interface SearchOptions {
  /** Leads per page, 1 to 500 (default 50). */
  limit?: number;
  /** The last lead of the previous page, as a page's `cursor` gave it. */
  cursor?: string | null;
  /** How many term keys one search word may list before it counts as too many (TERM_SCAN_MAX). */
  termScanMax?: number;
}

/** The most term keys one search word lists before its matches count as too many to hold. */
export const TERM_SCAN_MAX = 1_500;
/** The most distinct terms one search word's walk lists side by side. */
export const TERM_WALK_MAX = 64;
/** Largest page. */
export const SEARCH_LIMIT_MAX = 500;

/**
 * A page of the leads `filter` selects, in its order, read through the indexes (see the module
 * comment). The cursor is the last lead's (created time, id), so paging neither skips nor repeats
 * a lead while new ones arrive. Throws InvalidCursorError for a cursor we did not give out.
 */
export async function searchLeads(
  kv: Deno.Kv,
  store: LeadStore,
  filter: LeadFilter,
  options: SearchOptions = {},
): Promise<LeadSearchPage> {
  const limit = Math.max(1, Math.min(Math.floor(options.limit ?? 50), SEARCH_LIMIT_MAX));
  const hits = await findHits(kv, store, filter, {
    want: limit + 1,
    after: options.cursor ? decodeCursor(options.cursor) : null,
    summaries: false,
    termScanMax: options.termScanMax ?? TERM_SCAN_MAX,
  });
  const page = hits.slice(0, limit);
  const leads = (await store.getLeads(page.map((hit) => hit.id)))
    .filter((lead): lead is Lead => lead !== null);
  const last = page.at(-1);
  return { leads, cursor: hits.length > limit && last ? encodeCursor(last) : null };
}

/**
 * Every lead `filter` selects, in its order, `pageSize` hits at a time, each page read afresh from
 * the indexes after the last one (memory stays flat however many there are). With `summaries`,
 * every hit carries its summary (the walk keeps to indexes that hold them).
 */
export async function* iterateLeadHits(
  kv: Deno.Kv,
  store: LeadStore,
  filter: LeadFilter,
  options: { pageSize?: number; summaries?: boolean; termScanMax?: number } = {},
): AsyncGenerator<LeadHit[]> {
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 500, 2_000));
  let after: LeadHit | null = null;
  while (true) {
    const hits = await findHits(kv, store, filter, {
      want: pageSize + 1,
      after,
      summaries: options.summaries ?? false,
      termScanMax: options.termScanMax ?? TERM_SCAN_MAX,
    });
    const page = hits.slice(0, pageSize);
    if (page.length > 0) yield page;
    if (hits.length <= pageSize) return;
    after = page.at(-1)!;
  }
}

/** A page cursor: `<created ms>_<lead id>`, the same shape the store's pages use. */
export function encodeCursor(hit: Pick<LeadHit, "createdMs" | "id">): string {
  return `${hit.createdMs}_${hit.id}`;
}

function decodeCursor(cursor: string): LeadHit {
  const match = /^(-?\d{1,16})_([0-9A-Z]{26})$/.exec(cursor);
  if (!match) {
    throw new InvalidCursorError(
      `Cannot list leads: cursor "${cursor.slice(0, 60)}" is not one we gave out`,
    );
  }
  return { createdMs: Number(match[1]), id: match[2], summary: null };
}

interface FindOptions {
  want: number;
  after: LeadHit | null;
  summaries: boolean;
  termScanMax: number;
}

/** The first `want` hits of `filter` after `after`, in order. */
async function findHits(
  kv: Deno.Kv,
  store: LeadStore,
  filter: LeadFilter,
  options: FindOptions,
): Promise<LeadHit[]> {
  const desc = filter.sort === "-created";
  if (filter.sort === "waiting" && filter.statuses.length > 0 && !filter.statuses.includes("new")) {
    return [];
  }
  const words = searchWords(filter.q);
  const walks: Stepper[] = [];
  if (words.length > 0) {
    // Several words' leads are intersected, and whatever is not held is walked or checked on
    // the records anyway: each word may hold a sixth as many (a common word costs less to learn).
    const max = words.length > 1 ? Math.ceil(options.termScanMax / 6) : options.termScanMax;
    const sets = await Promise.all(words.map((word) => termHits(kv, word, max)));
    const held = sets.filter((set): set is Map<string, LeadHit> => set !== null);
    if (held.length === words.length) {
      return heldCandidates(filter, held, options).slice(0, options.want);
    }
    // Some words' matches are few enough to hold: their leads, checked on the records for the
    // other words, race the walks below (few of them beat walking a common word to its end).
    if (held.length > 0) {
      walks.push(new HeldWalk(store, heldCandidates(filter, held, options), filter));
    }
    // A word matches too many leads to hold: its terms listed side by side (each term's keys are
    // in time order) list its leads in time order, and the words' lists are joined in step.
    const bounds = { from: filter.fromMs, to: filter.toMs, after: options.after, desc };
    const perWord: Walk[] = [];
    for (const word of words) {
      const terms = await distinctTerms(kv, word, TERM_WALK_MAX);
      if (terms === null) continue;
      perWord.push(
        new Walk(
          kv,
          store,
          terms.map((term) => ranges([FILTER_INDEX_PREFIXES.term, term], bounds)),
          {
            desc,
            summaries: true,
            // The filter's fields are checked once, on the first word's list.
            check: perWord.length === 0 ? (hit) => summaryMatches(hit.summary!, filter) : null,
            recordCheck: null,
            batchSize: Math.max(20, Math.ceil(500 / terms.length)),
          },
        ),
      );
    }
    if (perWord.length > 0) {
      walks.push(
        new JoinWalk(perWord, {
          desc,
          store,
          // Words with too many terms to list are checked on the records.
          recordCheck: perWord.length < words.length
            ? (lead) => matchesLeadFilter(toLeadJson(lead), filter)
            : null,
        }),
      );
    }
  }
  walks.push(...plan(kv, store, filter, desc, options, words.length > 0));
  return await race(walks, options.want);
}

/** From the step of this many keys on, the race may judge the walks' costs... */
const JUDGE_BATCH = 256;
/** ...once one of them has found this many leads. */
const JUDGE_FOUND = 8;

/**
 * The first `want` hits of whichever walk fills them first (or ends). The walks take steps side by
 * side, each step twice as long; after each, a walk whose estimated cost to fill the page is
 * several times the best one's (1.5 times, once the steps are long enough) stops, and once the
 * steps are long enough and some walk has found enough leads to judge by, only the cheapest goes
 * on: every walk gives the same answer, so any may answer.
 */
async function race(walks: Stepper[], want: number): Promise<LeadHit[]> {
  let active = walks;
  let batch = 64;
  while (true) {
    await Promise.all(active.map((walk) => walk.step(batch, want)));
    const done = active.find((walk) => walk.done);
    if (done) return done.found.slice(0, want);
    if (active.length > 1) {
      const costs = active.map((walk) => walk.estimate(want));
      const best = Math.min(...costs);
      if (batch >= JUDGE_BATCH && active.some((walk) => walk.found.length >= JUDGE_FOUND)) {
        // The shares are measured: walks alike in cost would only multiply the work (each gives
        // the same answer), so the cheapest goes on alone.
        active = [active[costs.indexOf(best)]];
      } else {
        // Early estimates are rough (a few matches in a few keys): keep more walks at first.
        const factor = batch >= 1_024 ? 1.5 : 4;
        active = active.filter((_, i) => costs[i] <= best * factor);
      }
    }
    batch = Math.min(batch * 2, 2_000);
  }
}

/**
 * The distinct terms that start with `word` (each found with one listing that skips the keys of
 * the one before), or null when there are more than `max`.
 */
async function distinctTerms(kv: Deno.Kv, word: string, max: number): Promise<string[] | null> {
  const terms: string[] = [];
  const end: Deno.KvKey = [FILTER_INDEX_PREFIXES.term, word + "\u{10FFFF}"];
  let start: Deno.KvKey = [FILTER_INDEX_PREFIXES.term, word];
  while (true) {
    let next: string | null = null;
    for await (const entry of kv.list({ start, end }, { limit: 1 })) next = entry.key[1] as string;
    if (next === null) return terms;
    if (terms.length >= max) return null;
    terms.push(next);
    // The smallest string after `next`: past every key of that term, before longer terms.
    start = [FILTER_INDEX_PREFIXES.term, next + "\u0000"];
  }
}

/** The walks that answer `filter`: one per index that serves a condition (see the module comment). */
function plan(
  kv: Deno.Kv,
  store: LeadStore,
  filter: LeadFilter,
  desc: boolean,
  options: FindOptions,
  searching: boolean,
): Walk[] {
  const bounds = { from: filter.fromMs, to: filter.toMs, after: options.after, desc };
  const waitingSort = filter.sort === "waiting";
  const summaryCheck = (hit: LeadHit) => summaryMatches(hit.summary!, filter);
  const recordCheck = (lead: Lead) => matchesLeadFilter(toLeadJson(lead), filter);
  const indexed = (prefix: string, values: string[]) =>
    new Walk(kv, store, values.map((value) => ranges([prefix, value], bounds)), {
      desc,
      summaries: true,
      check: summaryCheck,
      // The search's words matched too many leads to hold: checked on the records.
      recordCheck: searching ? recordCheck : null,
    });
  const walks: Walk[] = [];
  const statuses = waitingSort ? ["new"] : filter.statuses;
  if (statuses.length > 0) walks.push(indexed(FILTER_INDEX_PREFIXES.status, statuses));
  if (filter.formIds.length > 0) walks.push(indexed(FILTER_INDEX_PREFIXES.form, filter.formIds));
  if (filter.campaignIds.length > 0) {
    walks.push(indexed(FILTER_INDEX_PREFIXES.campaign, filter.campaignIds));
  }
  if (filter.sources.length > 0) walks.push(indexed(FILTER_INDEX_PREFIXES.source, filter.sources));
  if (!options.summaries) {
    // Indexes of ids only: exact when theirs is the only condition, else checked on the records.
    const others = walks.length > 0 || searching;
    const idWalk = (prefixes: Deno.KvKey[], exact: boolean) =>
      new Walk(kv, store, prefixes.map((prefix) => ranges(prefix, bounds)), {
        desc,
        summaries: false,
        check: null,
        recordCheck: exact ? null : recordCheck,
      });
    if (filter.owners.length > 0) {
      const exact = !others && !waitingSort;
      const walk = idWalk(
        filter.owners.map((owner) => ["leads_by_owner", owner === "none" ? NO_OWNER : owner]),
        exact,
      );
      if (exact) return [walk];
      walks.push(walk);
    }
    if (waitingSort) {
      const exact = !others && filter.owners.length === 0;
      const walk = idWalk([["leads_waiting"]], exact);
      if (exact) return [walk];
      walks.push(walk);
    }
    if (walks.length === 0) return [idWalk([["leads_by_created"]], !searching)];
  }
  // Every lead has one status: the statuses together list them all, with summaries.
  if (walks.length === 0) walks.push(indexed(FILTER_INDEX_PREFIXES.status, ALL_STATUSES));
  return walks;
}

const ALL_STATUSES = ["new", "contacted", "qualified", "won", "lost"];

/** True when a lead of `summary` meets the filter's field conditions (not its search or dates). */
function summaryMatches(summary: LeadSummary, filter: LeadFilter): boolean {
  const any = (list: string[], value: string | null) =>
    list.length === 0 || list.includes(value ?? "");
  return any(filter.statuses, summary.status) &&
    any(filter.owners, summary.ownerId ?? "none") &&
    any(filter.formIds, summary.formId) &&
    any(filter.campaignIds, summary.campaignId) &&
    any(filter.sources, summary.source) &&
    (filter.sort !== "waiting" || summary.waiting);
}

interface Bounds {
  from: number | null;
  to: number | null;
  after: LeadHit | null;
  desc: boolean;
}

interface Range {
  selector: Deno.KvListSelector;
  /** The cursor's own key, to skip when listing upward from it. */
  skip: LeadHit | null;
}

/** The list selector of the keys `[...prefix, createdMs, id]` within `bounds`. */
function ranges(prefix: Deno.KvKey, bounds: Bounds): Range {
  let start: Deno.KvKey | null = bounds.from !== null ? [...prefix, bounds.from] : null;
  let end: Deno.KvKey | null = bounds.to !== null ? [...prefix, bounds.to] : null;
  let skip: LeadHit | null = null;
  const after = bounds.after;
  if (after && bounds.desc) {
    if (bounds.to === null || after.createdMs < bounds.to) {
      end = [...prefix, after.createdMs, after.id];
    }
  } else if (after) {
    if (bounds.from === null || after.createdMs >= bounds.from) {
      start = [...prefix, after.createdMs, after.id];
      skip = after;
    }
  }
  const selector: Deno.KvListSelector = start && end
    ? { start, end }
    : start
    ? { prefix, start }
    : end
    ? { prefix, end }
    : { prefix };
  return { selector, skip };
}

/** A way through the indexes that yields the filter's leads in order, a step at a time. */
interface Stepper {
  /** The leads found so far, in order. */
  readonly found: LeadHit[];
  /** True once `found` holds what was wanted or the walk has ended. */
  readonly done: boolean;
  /** Reads about `batch` more keys (fewer when each needs its record read). */
  step(batch: number, want: number): Promise<void>;
  /** What filling the page is likely to cost still, in key reads. */
  estimate(want: number): number;
}

/** One index (or the union of some of its values) walked in order, checking each lead it lists. */
class Walk implements Stepper {
  readonly found: LeadHit[] = [];
  done = false;
  /** Keys read so far. */
  scanned = 0;
  #heads: (LeadHit | null)[] | null = null;
  #iterators: AsyncIterator<Deno.KvEntry<unknown>>[];
  #skips: (LeadHit | null)[];
  #last: LeadHit | null = null;
  #pending: LeadHit | null | undefined = undefined;

  constructor(
    kv: Deno.Kv,
    private store: LeadStore,
    list: Range[],
    private options: {
      desc: boolean;
      summaries: boolean;
      check: ((hit: LeadHit) => boolean) | null;
      recordCheck: ((lead: Lead) => boolean) | null;
      /** Keys each range's listing fetches at once (default 500). */
      batchSize?: number;
    },
  ) {
    this.#iterators = list.map((range) =>
      kv.list(range.selector, { reverse: options.desc, batchSize: options.batchSize ?? 500 })
        [Symbol.asyncIterator]()
    );
    this.#skips = list.map((range) => range.skip);
  }

  /** Reads up to `batch` keys (fewer when each needs its record read), keeping those that match. */
  async step(batch: number, want: number): Promise<void> {
    if (this.done) return;
    const reads = this.options.recordCheck ? Math.max(8, Math.floor(batch / 8)) : batch;
    const hits: LeadHit[] = [];
    for (let i = 0; i < reads; i++) {
      const hit = await this.#next();
      if (hit === null) {
        this.done = true;
        break;
      }
      this.scanned++;
      if (this.options.check && !this.options.check(hit)) continue;
      hits.push(hit);
    }
    if (this.options.recordCheck && hits.length > 0) {
      const leads = await this.store.getLeads(hits.map((hit) => hit.id));
      hits.forEach((hit, i) => {
        const lead = leads[i];
        if (lead && this.options.recordCheck!(lead)) this.found.push(hit);
      });
    } else this.found.push(...hits);
    if (this.found.length >= want) this.done = true;
  }

  /**
   * What filling the page is likely to cost still, in key reads (a record read counts as 8), from
   * the share of keys that matched so far.
   */
  estimate(want: number): number {
    return estimateCost(this.found.length, this.scanned, want, this.options.recordCheck !== null);
  }

  /** The next key that passes the walk's check, without taking it (null at the end). */
  async peek(): Promise<LeadHit | null> {
    while (this.#pending === undefined) {
      const hit = await this.#next();
      if (hit === null) this.#pending = null;
      else {
        this.scanned++;
        if (!this.options.check || this.options.check(hit)) this.#pending = hit;
      }
    }
    return this.#pending;
  }

  /** Takes the key `peek` gave. */
  take(): void {
    this.#pending = undefined;
  }

  /** The next lead in order across the walk's ranges (once, if several list it), or null. */
  async #next(): Promise<LeadHit | null> {
    while (true) {
      const hit = await this.#nextKey();
      const last = this.#last;
      if (hit && last && hit.createdMs === last.createdMs && hit.id === last.id) continue;
      this.#last = hit;
      return hit;
    }
  }

  /** The next key in order across the walk's ranges, or null at the end. */
  async #nextKey(): Promise<LeadHit | null> {
    if (this.#heads === null) {
      this.#heads = await Promise.all(this.#iterators.map((_, i) => this.#advance(i)));
    }
    let best = -1;
    for (let i = 0; i < this.#heads.length; i++) {
      const head = this.#heads[i];
      if (head === null) continue;
      if (best === -1 || before(head, this.#heads[best]!, this.options.desc)) best = i;
    }
    if (best === -1) return null;
    const hit = this.#heads[best]!;
    this.#heads[best] = await this.#advance(best);
    return hit;
  }

  async #advance(i: number): Promise<LeadHit | null> {
    while (true) {
      const next = await this.#iterators[i].next();
      if (next.done) return null;
      const key = next.value.key;
      const hit: LeadHit = {
        createdMs: key[key.length - 2] as number,
        id: key[key.length - 1] as string,
        summary: this.options.summaries ? decodeSummary(next.value.value) : null,
      };
      const skip = this.#skips[i];
      if (skip && hit.createdMs === skip.createdMs && hit.id === skip.id) continue;
      if (this.options.summaries && hit.summary === null) continue;
      return hit;
    }
  }
}

/** The cost still to fill `want` when `found` of `scanned` keys matched (a record read: 8 keys). */
function estimateCost(found: number, scanned: number, want: number, records: boolean): number {
  const rate = (found + 1) / (scanned + 1);
  return ((want - found) / rate) * (records ? 8 : 1);
}

/**
 * The leads every one of several walks lists (a search's words, each walk one word's terms), found
 * by moving the walks in step: the ones behind catch up with the one furthest along, and a lead all
 * of them reach at once is in every list. All walks list in the same order.
 */
class JoinWalk implements Stepper {
  readonly found: LeadHit[] = [];
  done = false;

  constructor(
    private walks: Walk[],
    private options: {
      desc: boolean;
      store: LeadStore;
      recordCheck: ((lead: Lead) => boolean) | null;
    },
  ) {}

  get scanned(): number {
    return this.walks.reduce((sum, walk) => sum + walk.scanned, 0);
  }

  async step(batch: number, want: number): Promise<void> {
    if (this.done) return;
    const limit = this.scanned + (this.options.recordCheck ? Math.max(8, batch / 8) : batch);
    const hits: LeadHit[] = [];
    while (this.scanned < limit) {
      const heads = await Promise.all(this.walks.map((walk) => walk.peek()));
      if (heads.some((head) => head === null)) {
        this.done = true;
        break;
      }
      let furthest = heads[0]!;
      for (const head of heads) if (before(furthest, head!, this.options.desc)) furthest = head!;
      if (
        heads.every((head) => head!.createdMs === furthest.createdMs && head!.id === furthest.id)
      ) {
        hits.push(furthest);
        for (const walk of this.walks) walk.take();
      } else {
        this.walks.forEach((walk, i) => {
          if (before(heads[i]!, furthest, this.options.desc)) walk.take();
        });
      }
    }
    if (this.options.recordCheck && hits.length > 0) {
      const leads = await this.options.store.getLeads(hits.map((hit) => hit.id));
      hits.forEach((hit, i) => {
        const lead = leads[i];
        if (lead && this.options.recordCheck!(lead)) this.found.push(hit);
      });
    } else this.found.push(...hits);
    if (this.found.length >= want) this.done = true;
  }

  estimate(want: number): number {
    return estimateCost(this.found.length, this.scanned, want, this.options.recordCheck !== null);
  }
}

/** True when `a` comes before `b` in the list's order. */
function before(a: LeadHit, b: LeadHit, desc: boolean): boolean {
  const order = a.createdMs !== b.createdMs
    ? a.createdMs - b.createdMs
    : a.id < b.id
    ? -1
    : a.id > b.id
    ? 1
    : 0;
  return desc ? order > 0 : order < 0;
}

/**
 * The leads of every set in `held` (each word's matches, as termHits gives them) that meet the
 * filter's fields, dates and cursor, in the filter's order.
 */
function heldCandidates(
  filter: LeadFilter,
  held: Map<string, LeadHit>[],
  options: FindOptions,
): LeadHit[] {
  const [smallest, ...others] = [...held].sort((a, b) => a.size - b.size);
  const order = compareForSort(filter.sort);
  const asRow = (hit: LeadHit) => ({
    createdTime: new Date(hit.createdMs).toISOString(),
    id: hit.id,
  });
  const after = options.after ? asRow(options.after) : null;
  return [...smallest.values()].filter((hit) =>
    (filter.fromMs === null || hit.createdMs >= filter.fromMs) &&
    (filter.toMs === null || hit.createdMs < filter.toMs) &&
    summaryMatches(hit.summary!, filter) &&
    others.every((set) => set.has(hit.id)) &&
    (after === null || order(asRow(hit), after) > 0)
  ).sort((a, b) => order(asRow(a), asRow(b)));
}

/**
 * The leads of the words whose matches were few enough to hold, in order, each checked on its
 * record for the whole filter (the other words among it): a walk that ends with its candidates.
 */
class HeldWalk implements Stepper {
  readonly found: LeadHit[] = [];
  done = false;
  #next = 0;

  constructor(
    private store: LeadStore,
    private candidates: LeadHit[],
    private filter: LeadFilter,
  ) {
    this.done = candidates.length === 0;
  }

  async step(batch: number, want: number): Promise<void> {
    if (this.done) return;
    const hits = this.candidates.slice(this.#next, this.#next + Math.max(8, Math.floor(batch / 8)));
    this.#next += hits.length;
    const leads = await this.store.getLeads(hits.map((hit) => hit.id));
    hits.forEach((hit, i) => {
      const lead = leads[i];
      if (lead && matchesLeadFilter(toLeadJson(lead), this.filter)) this.found.push(hit);
    });
    if (this.found.length >= want || this.#next >= this.candidates.length) this.done = true;
  }

  estimate(want: number): number {
    // No more than the records of the candidates left.
    return Math.min(
      estimateCost(this.found.length, this.#next, want, true),
      (this.candidates.length - this.#next) * 8,
    );
  }
}

/** Every lead with a term starting with `word` (once each), or null past `max` keys. */
async function termHits(
  kv: Deno.Kv,
  word: string,
  max: number,
): Promise<Map<string, LeadHit> | null> {
  const hits = new Map<string, LeadHit>();
  let keys = 0;
  const iter = kv.list(
    {
      start: [FILTER_INDEX_PREFIXES.term, word],
      // Every string that starts with `word` sorts before `word` + the last code point.
      end: [FILTER_INDEX_PREFIXES.term, word + "\u{10FFFF}"],
    },
    // One listing tells whether the word has more than `max` (up to 1,000 keys).
    { batchSize: Math.min(max + 1, 1_000) },
  );
  for await (const entry of iter) {
    if (++keys > max) return null;
    const summary = decodeSummary(entry.value);
    if (summary === null) continue;
    const id = entry.key[3] as string;
    if (!hits.has(id)) hits.set(id, { createdMs: entry.key[2] as number, id, summary });
  }
  return hits;
}
