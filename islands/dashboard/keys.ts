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
    // The handler loads with the first key press, which it then handles: preventDefault comes
    // too late for that one, but none of these keys does anything by default where they apply
    // (Enter on a link or button is left to the browser anyway).
    let handle: ((event: KeyboardEvent) => void) | null = null;
    function onKey(event: KeyboardEvent) {
      if (handle) return handle(event);
      import("./table_keys.ts").then((m) => {
        handle ??= m.tableKeyHandler(keys);
        handle(event);
      }, () => {});
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
