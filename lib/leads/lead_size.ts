// Fits a lead into one KV value: answers too long to keep whole are shortened, visibly, never refused.
//
// Why shorten rather than keep long answers in chunk records: every list, change feed and live
// event reads whole leads, and chunks would cost each of them more reads for a case that only a
// pathological form produces (a Meta lead is a few hundred bytes). Meta keeps the full lead (Leads
// Center, and the Graph API for 90 days), and the lead says what was cut and by how much.

import { DomainError } from "../errors.ts";
import { CONTACT_FIELD_NAMES } from "../facebook/lead_fields.ts";
import { KV_MAX_VALUE_BYTES, kvValueSize, toKvValue } from "../kv_value_size.ts";
import type { Lead, LeadAnswer, LeadAnswersTruncation } from "./model.ts";

/**
 * Room a shortened lead leaves free below the KV limit, so that the small changes that follow
 * (a status, the first contact time, a short error) still fit without shortening it again.
 */
export const SHORTENED_SLACK_BYTES = 2_048;

/** Answer names longer than this are cut too, once dropping answers is needed. */
const NAME_MAX = 200;
/** Values keep at least this much when answers have to be dropped. */
const DROPPED_VALUE_MAX = 100;
/** The last resort: the lead's other free-text fields are cut to this. */
const OTHER_TEXT_MAX = 500;
const OTHER_TEXT_FIELDS = [
  "fullName",
  "email",
  "phone",
  "notes",
  "formName",
  "adName",
  "adsetName",
  "campaignName",
  "platform",
  "detailsError",
] as const;

const MARKER = / \[truncated: (\d+) more characters\]$/;

/** The marker a shortened value ends with; ASCII, so a Latin-1 answer stays one byte per character. */
export function truncationMarker(moreCharacters: number): string {
  return ` [truncated: ${moreCharacters} more characters]`;
}

/** A lead cannot be made to fit one KV value even with every answer cut (invalid input). */
export class LeadTooLargeError extends DomainError {
  /** Make the error for lead `id` of `bytes` bytes. */
  constructor(id: string, bytes: number) {
    super(
      "invalid_input",
      `Cannot store lead ${id}: it takes ${bytes} bytes even with its answers cut, over the ` +
        `${KV_MAX_VALUE_BYTES} bytes one KV value holds`,
    );
  }
}

/** What `fitLeadRecord` made of a lead. */
export interface FittedLead {
  /** The lead as KV will store it (plain JSON data; see toKvValue). */
  lead: Lead;
  /** Its size in KV (an upper bound, see kvValueSize). */
  bytes: number;
  /** True when this call shortened answers (the lead did not fit as it was). */
  shortened: boolean;
}

/**
 * The lead as one KV value. A lead that fits comes back whole. One that does not is shortened
 * until it fits with SHORTENED_SLACK_BYTES to spare: first every answer value that is not a
 * contact answer is cut to one common length (the longest that fits); when even empty values do
 * not fit, the last answers are dropped (contact answers are kept); as a last resort the other
 * free-text fields are cut. Each cut value ends with `truncationMarker`, and `answersTruncated`
 * counts what was cut. Ids, times, status, name, email and phone are never touched before that
 * last resort. Throws LeadTooLargeError when nothing makes it fit.
 */
export function fitLeadRecord(lead: Lead, maxBytes: number = KV_MAX_VALUE_BYTES): FittedLead {
  const text = JSON.stringify(lead);
  // toKvValue, with the text kept for the quick bound below.
  const record = JSON.parse(text) as Lead;
  // V8 writes less than 5 bytes for each character of JSON (the worst is a one-digit number in
  // an array: 9 bytes for ",0"), so a lead whose JSON is short enough fits without being
  // measured; measuring walked every value of every lead written. `bytes` is then that bound.
  const bound = 5 * text.length + 64;
  if (bound <= maxBytes) return { lead: record, bytes: bound, shortened: false };
  const bytes = kvValueSize(record);
  if (bytes <= maxBytes) return { lead: record, bytes, shortened: false };
  const target = Math.max(0, maxBytes - SHORTENED_SLACK_BYTES);
  const answers = record.answers ?? [];
  const droppedBefore = record.answersTruncated?.answersDropped ?? 0;
  const build = (kept: LeadAnswer[], dropped: number, base: Lead = record) => {
    const candidate = toKvValue({
      ...base,
      answers: kept,
      answersTruncated: summarize(kept, droppedBefore + dropped),
    });
    return { lead: candidate, bytes: kvValueSize(candidate) };
  };

  // 1. One common length for every value that is not a contact answer.
  const longest = Math.max(0, ...answers.flatMap((answer) => answer.values.map(baseLength)));
  const atCap = (cap: number) =>
    build(answers.map((answer) => isContact(answer) ? answer : capAnswer(answer, cap)), 0);
  if (atCap(0).bytes <= target) {
    let low = 0;
    let high = longest;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (atCap(mid).bytes <= target) low = mid;
      else high = mid - 1;
    }
    return { ...atCap(low), shortened: true };
  }

  // 2. Keep the contact answers and as many of the others (in form order) as fit, cut short.
  const short = answers.map((answer) =>
    isContact(answer) ? answer : capAnswer(answer, DROPPED_VALUE_MAX, NAME_MAX)
  );
  const keeping = (count: number, base?: Lead) => {
    let others = 0;
    const kept = short.filter((answer) => isContact(answer) || others++ < count);
    return build(kept, short.length - kept.length, base);
  };
  const others = short.filter((answer) => !isContact(answer)).length;
  if (keeping(0).bytes <= target) {
    let low = 0;
    let high = others;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (keeping(mid).bytes <= target) low = mid;
      else high = mid - 1;
    }
    return { ...keeping(low), shortened: true };
  }

  // 3. Last resort: the other free-text fields are cut as well, and only contact answers stay.
  const base = { ...record } as Record<string, unknown>;
  for (const field of OTHER_TEXT_FIELDS) {
    const value = base[field];
    if (typeof value === "string") base[field] = capValue(value, OTHER_TEXT_MAX);
  }
  const last = keeping(0, base as unknown as Lead);
  if (last.bytes <= maxBytes) return { ...last, shortened: true };
  throw new LeadTooLargeError(lead.id, last.bytes);
}

function isContact(answer: LeadAnswer): boolean {
  return CONTACT_FIELD_NAMES.has(answer.name.toLowerCase());
}

function capAnswer(answer: LeadAnswer, valueMax: number, nameMax?: number): LeadAnswer {
  return {
    name: nameMax === undefined ? answer.name : capValue(answer.name, nameMax),
    values: answer.values.map((value) => capValue(value, valueMax)),
  };
}

/** The length of a value without the marker an earlier shortening left on it. */
function baseLength(value: string): number {
  const match = MARKER.exec(value);
  return match ? match.index : value.length;
}

/**
 * `value` cut to `max` characters plus a marker saying how many were left out (counting those an
 * earlier cut left out); unchanged when it is not longer than `max`.
 */
function capValue(value: string, max: number): string {
  const match = MARKER.exec(value);
  const base = match ? value.slice(0, match.index) : value;
  if (base.length <= max) return value;
  let cut = max;
  // Never split a surrogate pair: half a character is not text.
  if (cut > 0 && isHighSurrogate(base.charCodeAt(cut - 1))) cut--;
  const more = base.length - cut + (match ? Number(match[1]) : 0);
  return base.slice(0, cut) + truncationMarker(more);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** What the markers on `answers` say was cut, plus the answers dropped. */
function summarize(answers: LeadAnswer[], answersDropped: number): LeadAnswersTruncation {
  let values = 0;
  let characters = 0;
  for (const answer of answers) {
    for (const value of answer.values) {
      const match = MARKER.exec(value);
      if (match) {
        values++;
        characters += Number(match[1]);
      }
    }
  }
  return { values, characters, answersDropped };
}
