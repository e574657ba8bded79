// What the table's keys do, loaded with the first key press (islands/dashboard/keys.ts): the page
// need not load it before anyone types.

import type { Signal } from "./signal.ts";
import type { TableKeys } from "./keys.ts";

/** The document's keydown handler for `keys`. */
export function tableKeyHandler(keys: TableKeys): (event: KeyboardEvent) => void {
  return function onKey(event: KeyboardEvent) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable]")) return;
    const rows = keys.rows();
    // The row clicked into (focus lands on it) counts as well as the one the keys moved to.
    const current = target?.closest("[data-lead-id]")?.getAttribute("data-lead-id") ??
      keys.focused.value;
    const at = rows.findIndex((row) => row.id === current);
    const row = rows[at];
    if (event.key === "/") {
      const search = document.getElementById("lead-search") as HTMLInputElement | null;
      if (!search) return;
      event.preventDefault();
      search.focus();
      search.select();
    } else if (event.key === "j" || event.key === "k") {
      if (rows.length === 0) return;
      event.preventDefault();
      const next = at === -1
        ? 0
        : Math.max(0, Math.min(rows.length - 1, at + (event.key === "j" ? 1 : -1)));
      focusRow(keys.focused, rows[next].id);
    } else if (!row || target?.closest("a, button")) {
      // Enter on a link or button does what it does; the rest needs a row.
      return;
    } else if (event.key === "Enter") {
      event.preventDefault();
      keys.open(row.id);
    } else if (event.key === "c") {
      event.preventDefault();
      keys.contacted(row.id);
    } else if (event.key === "x") {
      event.preventDefault();
      keys.toggle(row.id);
    }
  };
}

function focusRow(focused: Signal<string | null>, id: string) {
  focused.value = id;
  const el = document.querySelector<HTMLElement>(`[data-lead-id="${CSS.escape(id)}"]`);
  el?.focus();
  el?.scrollIntoView({ block: "nearest" });
}
