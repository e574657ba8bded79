// Leads as CSV for a spreadsheet: streamed a page at a time from the indexes (memory stays flat
// however many leads), UTF-8 with a BOM, CRLF line ends, RFC 4180 quoting, formula injection
// neutralised, times in the reader's zone, and one column per question of the exported forms.
//
// The question columns must be known before the first row. They are the union of the questions
// of the forms the exported leads came from, so a first pass walks the matching index keys (their
// summaries say each lead's form; no lead is read), then the second pass streams the rows.

import { isContactQuestion } from "../format/lead_search.ts";
import { zonedParts } from "../time_zone.ts";
import type { LeadFilter } from "../wire.ts";
import { listFormQuestions, NO_FORM } from "./dimensions.ts";
import type { Lead } from "./model.ts";
import { iterateLeadHits } from "./search.ts";
import { speedToLeadMs } from "./speed_to_lead.ts";
import type { LeadStore } from "./store.ts";

/** What to export: the leads a filter selects, or the leads of these ids (a selection). */
export type CsvSource = { filter: LeadFilter } | { ids: string[] };

/** Options of `leadsCsv`. */
export interface CsvOptions {
  /** The IANA zone the times are written in (named in the column headings). */
  timeZone: string;
  /** Leads read per page (default 500). */
  pageSize?: number;
}

/** The most ids one selection may export. */
export const CSV_IDS_MAX = 1_000;

const FIXED_COLUMNS = [
  "Lead id",
  "Created",
  "Name",
  "Phone",
  "Email",
  "Status",
  "Owner",
  "Source",
  "Form",
  "Campaign",
  "Ad",
  "First contact",
  "Minutes to first contact",
  "Calls",
  "Next follow-up",
  "Notes",
  "Meta lead id",
] as const;

/**
 * The leads of `source` as a CSV byte stream (see the module comment). Rows follow the filter's
 * order (a selection: the order of `ids`; ids of no lead are left out).
 */
export function leadsCsv(
  deps: { kv: Deno.Kv; store: LeadStore },
  source: CsvSource,
  options: CsvOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const rows = csvLines(deps, source, options);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await rows.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await rows.return(undefined);
    },
  }, { highWaterMark: 1 });
}

/** The CSV text, a page of rows per chunk: the BOM and heading row first. */
async function* csvLines(
  deps: { kv: Deno.Kv; store: LeadStore },
  source: CsvSource,
  options: CsvOptions,
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? 500;
  let questions: string[];
  let pages: AsyncIterable<Lead[]>;
  if ("ids" in source) {
    // A selection is small (CSV_IDS_MAX): read once, kept for both passes.
    const ids = [...new Set(source.ids)].slice(0, CSV_IDS_MAX);
    const leads = (await deps.store.getLeads(ids)).filter((lead): lead is Lead => lead !== null);
    questions = await questionColumns(deps.kv, leads.map((lead) => lead.formId));
    pages = (async function* () {
      for (let i = 0; i < leads.length; i += pageSize) yield leads.slice(i, i + pageSize);
    })();
  } else {
    const forms = new Set<string | null>();
    for await (
      const hits of iterateLeadHits(deps.kv, deps.store, source.filter, {
        pageSize: 2_000,
        summaries: true,
      })
    ) {
      for (const hit of hits) forms.add(hit.summary?.formId ?? null);
    }
    questions = await questionColumns(deps.kv, forms);
    pages = (async function* () {
      for await (
        const hits of iterateLeadHits(deps.kv, deps.store, source.filter, { pageSize })
      ) {
        const leads = await deps.store.getLeads(hits.map((hit) => hit.id));
        yield leads.filter((lead): lead is Lead => lead !== null);
      }
    })();
  }
  const zone = options.timeZone;
  const heading = [
    ...FIXED_COLUMNS.map((name) =>
      ["Created", "First contact", "Next follow-up"].includes(name) ? `${name} (${zone})` : name
    ),
    ...questions,
  ];
  yield "\uFEFF" + csvRow(heading);
  for await (const leads of pages) {
    let chunk = "";
    for (const lead of leads) chunk += csvRow(leadCells(lead, questions, zone));
    if (chunk !== "") yield chunk;
  }
}

/** The question columns of leads from `formIds`: each form's custom questions, in order, once. */
async function questionColumns(
  kv: Deno.Kv,
  formIds: Iterable<string | null>,
): Promise<string[]> {
  const byForm = await listFormQuestions(kv, [...formIds].map((id) => id ?? NO_FORM));
  const columns = new Set<string>();
  const sorted = [...byForm.keys()].sort();
  for (const form of sorted) {
    for (const name of byForm.get(form)!) if (!isContactQuestion(name)) columns.add(name);
  }
  return [...columns];
}

function leadCells(lead: Lead, questions: string[], zone: string): string[] {
  const answers = new Map<string, string[]>();
  for (const answer of lead.answers ?? []) {
    answers.set(answer.name, [...(answers.get(answer.name) ?? []), ...answer.values]);
  }
  const firstContact = speedToLeadMs(lead);
  return [
    lead.id,
    localTime(lead.createdTime, zone),
    lead.fullName ?? "",
    lead.phone ?? "",
    lead.email ?? "",
    lead.status,
    lead.ownerName ?? "",
    lead.source,
    lead.formName ?? lead.formId ?? "",
    lead.campaignName ?? lead.campaignId ?? "",
    lead.adName ?? lead.adId ?? "",
    lead.firstContactAt ? localTime(lead.firstContactAt, zone) : "",
    firstContact === null ? "" : String(Math.round(firstContact / 60_000)),
    String(lead.callAttempts ?? 0),
    lead.nextFollowUpAt ? localTime(lead.nextFollowUpAt, zone) : "",
    lead.notes ?? "",
    lead.leadgenId ?? "",
    ...questions.map((name) => (answers.get(name) ?? []).join("; ")),
  ];
}

/** "2026-05-01 14:05:09": a time as spreadsheets read it, in `zone`. */
function localTime(iso: string, zone: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const p = zonedParts(ms, zone);
  const two = (n: number) => String(n).padStart(2, "0");
  const seconds = two(new Date(ms).getUTCSeconds());
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${seconds}`;
}

/** One CSV record with its CRLF. */
export function csvRow(cells: readonly string[]): string {
  return cells.map(csvCell).join(",") + "\r\n";
}

/**
 * One CSV field: a value a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`,
 * a tab or a carriage return) gets a leading `'`; a field holding a quote, comma, CR or LF is
 * quoted, its quotes doubled (RFC 4180).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
