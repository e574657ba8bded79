// What the leads themselves tell about their forms and campaigns: each form's questions and each
// campaign's name as seen on leads (kept in lead commits, see indexes.ts), and the answers an
// admin chose to show per form in the dashboard's table.

import { commitAtomic } from "../kv_commit.ts";
import { isContactQuestion } from "../format/lead_search.ts";
import { DomainError } from "../errors.ts";

/** The form key of leads that came with no form (entered by hand). */
export const NO_FORM = "";

/**
 * `["lead_form_questions", formId | ""]` -> string[]: every answer name seen on the form's leads,
 * in the order first seen (Meta's order for the form). Written only in lead store commits.
 */
export function formQuestionsKey(formId: string | null): Deno.KvKey {
  return ["lead_form_questions", formId ?? NO_FORM];
}

/** `["lead_campaigns", campaignId]` -> CampaignSeen: a campaign's name as its leads last said. */
export function campaignKey(campaignId: string): Deno.KvKey {
  return ["lead_campaigns", campaignId];
}

/** `["form_columns", formId]` -> string[]: the answers an admin chose for the form's table rows. */
export function formColumnsKey(formId: string): Deno.KvKey {
  return ["form_columns", formId];
}

/** A campaign as its leads name it. */
export interface CampaignSeen {
  id: string;
  name: string | null;
}

/** The most answers a table row shows. */
export const FORM_COLUMNS_MAX = 3;
/** Answers a form shows when no admin chose: its first custom questions, this many. */
export const DEFAULT_FORM_COLUMNS = 2;

/** Each form's questions as seen on leads, by form id ("" for leads with no form). */
export async function listFormQuestions(
  kv: Deno.Kv,
  formIds?: Iterable<string | null>,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (formIds === undefined) {
    for await (const entry of kv.list<string[]>({ prefix: ["lead_form_questions"] })) {
      out.set(entry.key[1] as string, entry.value);
    }
    return out;
  }
  const keys = [...new Set([...formIds].map((id) => id ?? NO_FORM))];
  for (let i = 0; i < keys.length; i += 10) {
    const chunk = keys.slice(i, i + 10);
    const entries = await kv.getMany<string[][]>(chunk.map((id) => formQuestionsKey(id)));
    chunk.forEach((id, j) => out.set(id, entries[j].value ?? []));
  }
  return out;
}

/** Every campaign leads came through, by name. */
export async function listCampaigns(kv: Deno.Kv): Promise<CampaignSeen[]> {
  const out: CampaignSeen[] = [];
  for await (const entry of kv.list<CampaignSeen>({ prefix: ["lead_campaigns"] })) {
    out.push(entry.value);
  }
  return out.sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id));
}

/**
 * The answers each form's table rows show: the admin's choice, or the form's first
 * DEFAULT_FORM_COLUMNS custom questions (contact answers are columns of their own).
 */
export async function formColumnsByForm(kv: Deno.Kv): Promise<Record<string, string[]>> {
  const chosen = new Map<string, string[]>();
  for await (const entry of kv.list<string[]>({ prefix: ["form_columns"] })) {
    chosen.set(entry.key[1] as string, entry.value);
  }
  const out: Record<string, string[]> = {};
  for (const [formId, questions] of await listFormQuestions(kv)) {
    if (formId === NO_FORM) continue;
    out[formId] = chosen.get(formId) ??
      questions.filter((name) => !isContactQuestion(name)).slice(0, DEFAULT_FORM_COLUMNS);
  }
  for (const [formId, names] of chosen) out[formId] ??= names;
  return out;
}

/** The admin's choice of answers for a form was not one we can keep. */
export class FormColumnsError extends DomainError {
  /** Make the error; `message` says why, safe to show. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/**
 * Keeps the answers `formId`'s rows show (at most FORM_COLUMNS_MAX, each a question seen on the
 * form); an empty list brings back the default.
 */
export async function setFormColumns(
  kv: Deno.Kv,
  formId: string,
  names: string[],
): Promise<void> {
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(formId)) {
    throw new FormColumnsError("Cannot choose the form's answers: the form id is not an id");
  }
  const unique = [...new Set(names)];
  if (unique.length > FORM_COLUMNS_MAX) {
    throw new FormColumnsError(
      `Cannot choose the form's answers: at most ${FORM_COLUMNS_MAX} can be shown`,
    );
  }
  const known = (await kv.get<string[]>(formQuestionsKey(formId))).value ?? [];
  const unknown = unique.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new FormColumnsError(
      `Cannot choose the form's answers: the form has no question "${unknown[0].slice(0, 80)}"`,
    );
  }
  const op = kv.atomic();
  if (unique.length === 0) op.delete(formColumnsKey(formId));
  else op.set(formColumnsKey(formId), unique);
  await commitAtomic(op);
}
