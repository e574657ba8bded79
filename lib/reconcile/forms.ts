// Lead forms per page: discovered through the Graph API and remembered in KV with their sweep state.

import type { GraphClient } from "../facebook/graph_client.ts";
import { getKnownForm, saveKnownForm } from "../leads/forms.ts";
import { RECONCILE_FORMS_PREFIX, reconcileFormKey } from "./keys.ts";
import type { ReconcileForm } from "./types.ts";

/** Most form pages followed per page, so a cursor that never ends cannot loop forever. */
const MAX_FORM_PAGES = 100;

/**
 * Lists every lead form of `pageId` (following `after` to the end) and stores each one's name
 * and status, keeping the watermark and open pass of forms already known. The names also go to
 * the form cache (`["forms", formId]`) that labels webhook leads. Throws GraphApiError.
 */
export async function discoverPageForms(
  kv: Deno.Kv,
  graph: GraphClient,
  pageId: string,
  now: Date,
): Promise<ReconcileForm[]> {
  const found: ReconcileForm[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_FORM_PAGES; page++) {
    const listed = await graph.listPageForms(pageId, { after });
    for (const form of listed.forms) {
      if (!/^\d+$/.test(form.id)) continue;
      const known = await getReconcileForm(kv, form.id);
      const record: ReconcileForm = {
        formId: form.id,
        pageId,
        name: form.name ?? known?.name ?? null,
        status: form.status ?? known?.status ?? null,
        discoveredAt: known?.discoveredAt ?? now.toISOString(),
        watermark: known?.watermark ?? null,
        sweptStatus: known?.sweptStatus ?? null,
        pass: known?.pass ?? null,
      };
      if (JSON.stringify(record) !== JSON.stringify(known)) await saveReconcileForm(kv, record);
      await shareFormName(kv, record, now);
      found.push(record);
    }
    if (listed.after === null) break;
    after = listed.after;
  }
  return found;
}

/** Refreshes the form-name cache the webhook path reads, so its fetches need no `GET /{form_id}`. */
async function shareFormName(kv: Deno.Kv, form: ReconcileForm, now: Date): Promise<void> {
  const cached = await getKnownForm(kv, form.formId);
  const fresh = cached !== null && now.getTime() - Date.parse(cached.fetchedAt) < 60 * 60 * 1000;
  if (fresh && cached.name === form.name && cached.status === form.status) return;
  await saveKnownForm(kv, {
    id: form.formId,
    pageId: form.pageId,
    name: form.name,
    status: form.status,
    fetchedAt: now.toISOString(),
  });
}

/** The stored form, or null. */
export async function getReconcileForm(kv: Deno.Kv, formId: string): Promise<ReconcileForm | null> {
  return (await kv.get<ReconcileForm>(reconcileFormKey(formId))).value;
}

/** Stores a form's record. */
export async function saveReconcileForm(kv: Deno.Kv, form: ReconcileForm): Promise<void> {
  await kv.set(reconcileFormKey(form.formId), form);
}

/** Every form discovered so far. */
export async function listReconcileForms(kv: Deno.Kv): Promise<ReconcileForm[]> {
  const forms: ReconcileForm[] = [];
  for await (const entry of kv.list<ReconcileForm>({ prefix: RECONCILE_FORMS_PREFIX })) {
    forms.push(entry.value);
  }
  return forms;
}

/**
 * True when a sweep should list the form: it is active, has never been listed to the end, has a
 * pass to finish, or changed status since its last full listing (an archived form gets one last
 * sweep for leads submitted before it closed, then no more calls).
 */
export function formNeedsSweep(form: ReconcileForm): boolean {
  return form.status === "ACTIVE" || form.status === null || form.watermark === null ||
    form.pass !== null || form.sweptStatus !== form.status;
}
