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

/** The remembered form, or null. */
export async function getKnownForm(kv: Deno.Kv, formId: string): Promise<KnownForm | null> {
  return (await kv.get<KnownForm>(formKey(formId))).value;
}

/** Remembers a form (overwrites what was known). */
export async function saveKnownForm(kv: Deno.Kv, form: KnownForm): Promise<void> {
  await kv.set(formKey(form.id), form);
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
