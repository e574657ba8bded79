// Lead forms we know of, cached in KV: their names label leads, and reconciliation walks them.

import type { GraphClient } from "../facebook/graph_client.ts";

/** A lead form as remembered at `["forms", formId]`. */
export interface KnownForm {
  id: string;
  pageId: string;
  name: string | null;
  /** Meta's status, e.g. "ACTIVE", "ARCHIVED"; null when not known. */
  status: string | null;
  /** ISO 8601: when the Graph API last told us about it. */
  fetchedAt: string;
}

/** `["forms", formId]` -> KnownForm. */
export function formKey(formId: string): Deno.KvKey {
  return ["forms", formId];
}

/** How long this process trusts its in-memory copy of a form before reading KV again. */
const MEMORY_TTL_MS = 60_000;
const MEMORY_MAX_FORMS = 10_000;
const memory = new WeakMap<Deno.Kv, Map<string, { form: KnownForm; readAt: number }>>();

function memoryOf(kv: Deno.Kv) {
  let forms = memory.get(kv);
  if (!forms) memory.set(kv, forms = new Map());
  return forms;
}

function remember(kv: Deno.Kv, form: KnownForm) {
  const forms = memoryOf(kv);
  if (forms.size >= MEMORY_MAX_FORMS) forms.clear();
  forms.set(form.id, { form, readAt: Date.now() });
}

/**
 * The remembered form, or null. Every lead's fetch asks for its form's name, so the answer is
 * also kept in memory for a minute (writes through saveKnownForm update it at once; another
 * process's writes are seen within the minute).
 */
export async function getKnownForm(kv: Deno.Kv, formId: string): Promise<KnownForm | null> {
  const held = memoryOf(kv).get(formId);
  if (held && Date.now() - held.readAt < MEMORY_TTL_MS) return held.form;
  const form = (await kv.get<KnownForm>(formKey(formId))).value;
  if (form) remember(kv, form);
  return form;
}

/** Remembers a form (overwrites what was known). */
export async function saveKnownForm(kv: Deno.Kv, form: KnownForm): Promise<void> {
  await kv.set(formKey(form.id), form);
  remember(kv, form);
}

/** Every remembered form, in id order. */
export async function listKnownForms(kv: Deno.Kv): Promise<KnownForm[]> {
  const forms: KnownForm[] = [];
  for await (const entry of kv.list<KnownForm>({ prefix: ["forms"] })) forms.push(entry.value);
  return forms;
}

/** Options of `formNameFor`. */
export interface FormNameOptions {
  /** A cached name older than this is fetched again (default 24 hours). */
  maxAgeMs?: number;
  now?: () => Date;
}

/**
 * The form's name: from the KV cache when fresh, else `GET /{form_id}?fields=name` (then cached).
 * A failed Graph call falls back to a stale cached name, or throws when there is none.
 */
export async function formNameFor(
  kv: Deno.Kv,
  graph: GraphClient,
  formId: string,
  pageId: string,
  options: FormNameOptions = {},
): Promise<string | null> {
  const now = (options.now ?? (() => new Date()))();
  const maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60 * 1000;
  const cached = await getKnownForm(kv, formId);
  if (cached && now.getTime() - Date.parse(cached.fetchedAt) < maxAgeMs) return cached.name;
  try {
    const form = await graph.getForm(formId, pageId);
    await saveKnownForm(kv, {
      id: formId,
      pageId,
      name: form.name,
      status: form.status,
      fetchedAt: now.toISOString(),
    });
    return form.name;
  } catch (error) {
    if (cached) return cached.name;
    throw error;
  }
}
