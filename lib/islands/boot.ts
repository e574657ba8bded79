// Browser side of islands: hydrates every marker of one island with the props the server wrote.

import { type ComponentType, h, hydrate } from "preact";

/** Hydrates each `[data-island=name]` marker on the page with `component`. */
// deno-lint-ignore no-explicit-any
export function bootIsland(name: string, component: ComponentType<any>): void {
  const markers = document.querySelectorAll<HTMLElement>(`[data-island="${name}"]`);
  for (const marker of markers) {
    // Once: two entries of the build may both boot an island (see scriptsFor).
    if (marker.dataset.booted) continue;
    marker.dataset.booted = "1";
    const id = marker.dataset.islandId;
    const script = document.querySelector(`script[data-island-props="${id}"]`);
    const props = JSON.parse(script?.textContent || "{}");
    hydrate(h(component, props), marker);
  }
}
