// Live fragments, the server side: a part of a page that the browser refreshes by fetching it again,
// rendered by the server alone, so refreshing it needs no rendering code in the browser. A page
// marks such a part with liveAttributes() and renders the island islands/LiveFragments.tsx once
// (it refreshes every live part on the page); a route answers the part's URL with
// fragmentResponse().
//
// The contract, on the part's root element:
// - `data-live-src`: a same-origin URL whose GET answers the element again: text/html whose first
//   element is the element itself, fresh, with its own `data-live-*` attributes, so the server may
//   change how often it is refreshed (e.g. faster while work runs).
// - `data-live-every`: milliseconds from the end of one refresh to the next.
// - `data-live-boost` (optional): a CSS selector; a click on a matching element anywhere on the page
//   refreshes the part soon (300 ms), then every `data-live-boost-every` ms for
//   `data-live-boost-for` ms, e.g. to follow the work a button started elsewhere on the page.
// The browser keeps every node whose kind, attributes, text and number of children are unchanged
// and replaces the others whole, so focus, scroll positions and a `<details>` the reader opened
// survive where nothing changed around them (`open` is the reader's: a refresh never changes it).
// A failed fetch (offline, a 5xx) leaves the part as it was, to be tried again at the next turn;
// any other refusal or a redirect (signed out: 303 to the sign-in page) stops the refreshing.

import { type ComponentType, h } from "preact";
import { renderWithIslands } from "../islands/ssr.ts";

/** How often a live part is refreshed, and what else makes it refresh (see the module's contract). */
export interface LiveOptions {
  /** The fragment's URL, same origin. */
  src: string;
  /** Milliseconds from the end of one refresh to the next. */
  everyMs: number;
  /** Clicks on elements matching `selector` refresh faster for a while. */
  boost?: { selector: string; everyMs: number; forMs: number };
}

/** The `data-live-*` attributes that make an element live, to spread on its root element. */
export function liveAttributes(options: LiveOptions): Record<string, string> {
  for (const ms of [options.everyMs, options.boost?.everyMs, options.boost?.forMs]) {
    if (ms !== undefined && !(Number.isInteger(ms) && ms > 0)) {
      throw new RangeError(
        `Cannot make ${options.src} live: ${ms} is not a number of milliseconds`,
      );
    }
  }
  const attributes: Record<string, string> = {
    "data-live-src": options.src,
    "data-live-every": String(options.everyMs),
  };
  if (options.boost) {
    attributes["data-live-boost"] = options.boost.selector;
    attributes["data-live-boost-every"] = String(options.boost.everyMs);
    attributes["data-live-boost-for"] = String(options.boost.forMs);
  }
  return attributes;
}

/**
 * The answer to a live fragment's URL: `component` rendered alone with `props`, as text/html that
 * no browser or proxy stores (it holds the same data as the page). A fragment may not hold
 * islands, nothing would hydrate them where it lands: rendering one throws.
 */
export function fragmentResponse<Props>(
  component: ComponentType<Props>,
  props: Props,
  init: { status?: number } = {},
): Response {
  // Made while rendering, as a page's vnodes are, so an island among them is seen (and refused).
  const Part = component as ComponentType<Record<string, unknown>>;
  function Alone() {
    return h(Part, props as Record<string, unknown>);
  }
  const { html, islands } = renderWithIslands(h(Alone, {}));
  if (islands.length > 0) {
    throw new Error(
      `Cannot render a fragment holding islands (${islands.join(", ")}): nothing hydrates them`,
    );
  }
  return new Response(html, {
    status: init.status ?? 200,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}
