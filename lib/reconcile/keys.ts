// Every Deno KV key reconciliation uses, each built by one named function.

/** `["reconcile_forms", formId]` -> ReconcileForm: a discovered form, its watermark and open pass. */
export function reconcileFormKey(formId: string): Deno.KvKey {
  return ["reconcile_forms", formId];
}

/** The prefix of every `reconcileFormKey`. */
export const RECONCILE_FORMS_PREFIX: Deno.KvKey = ["reconcile_forms"];

/** `["pages", pageId]` -> KnownPage: a page a lead arrived from. */
export function seenPageKey(pageId: string): Deno.KvKey {
  return ["pages", pageId];
}

/** The prefix of every `seenPageKey`. */
export const SEEN_PAGES_PREFIX: Deno.KvKey = ["pages"];

/** `["settings_pages", pageId]` -> KnownPage: a page an admin added in settings. */
export function settingsPageKey(pageId: string): Deno.KvKey {
  return ["settings_pages", pageId];
}

/** The prefix of every `settingsPageKey`. */
export const SETTINGS_PAGES_PREFIX: Deno.KvKey = ["settings_pages"];

/** `["reconcile_lock"]` -> SweepLock while a sweep runs; also expires on its own. */
export function reconcileLockKey(): Deno.KvKey {
  return ["reconcile_lock"];
}

/** `["reconcile_state"]` -> ReconcileState: the last result, the pause and the progress. */
export function reconcileStateKey(): Deno.KvKey {
  return ["reconcile_state"];
}

/** `["reconcile_progress"]` -> SweepProgress of the running (or last) sweep, for the progress bar. */
export function reconcileProgressKey(): Deno.KvKey {
  return ["reconcile_progress"];
}
