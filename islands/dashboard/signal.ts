// A state cell read and written through `.value`, as @preact/signals' useSignal, in a few bytes:
// the dashboard only needs the latest value in its handlers and a re-render on change, and the
// signals library cost the page ~3 KB gzip of its 15 KB budget (issue 16).

import { useReducer, useRef } from "preact/hooks";

/** A value that re-renders the component owning it when set to something else. */
export interface Signal<T> {
  value: T;
}

/**
 * The component's state cell: handlers read `.value` at call time (never a stale closure), and
 * setting it to a different value (`Object.is`) schedules one re-render, batched by Preact.
 */
export function useSignal<T>(initial: T): Signal<T> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const cell = useRef<Signal<T> | null>(null);
  if (!cell.current) {
    let current = initial;
    cell.current = {
      get value() {
        return current;
      },
      set value(next: T) {
        if (Object.is(next, current)) return;
        current = next;
        rerender(0);
      },
    };
  }
  return cell.current;
}
