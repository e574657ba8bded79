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
    // Presses made while the handler loads wait here and are handled in the order typed: separate
    // import() calls for one module need not settle in the order they were made.
    let waiting: KeyboardEvent[] | null = null;
    function onKey(event: KeyboardEvent) {
      if (handle) return handle(event);
      if (waiting) return void waiting.push(event);
      waiting = [event];
      import("./table_keys.ts").then((m) => {
        const typed = waiting ?? [];
        waiting = null;
        const ready = m.tableKeyHandler(keys);
        handle = ready;
        for (const pressed of typed) ready(pressed);
      }, () => {
        waiting = null; // offline: the next press tries again
      });
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}
