// The table's keyboard: j and k move between rows, Enter opens the lead, c marks it contacted,
// x selects it, / goes to the search box. Keys typed into a field are left alone.

import type { Signal } from "./signal.ts";
import { useEffect } from "preact/hooks";
import type { LeadRow } from "../../lib/wire.ts";

/** What the keys act on. */
export interface TableKeys {
  /** The rows in the order shown. */
  rows(): LeadRow[];
  /** The row the keys act on (its id). */
  focused: Signal<string | null>;
  open(id: string): void;
  contacted(id: string): void;
  toggle(id: string): void;
}

/** Listens for the table's keys on the document while the island is mounted. */
export function useTableKeys(keys: TableKeys): void {
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
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
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

function focusRow(focused: Signal<string | null>, id: string) {
  focused.value = id;
  const el = document.querySelector<HTMLElement>(`[data-lead-id="${CSS.escape(id)}"]`);
  el?.focus();
  el?.scrollIntoView({ block: "nearest" });
}
