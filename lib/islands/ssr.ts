// Server side of islands: registered components render inside a marker with their props as JSON.

import { Fragment, h, options, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type { ComponentType } from "preact";

// deno-lint-ignore no-explicit-any
type AnyComponent = ComponentType<any>;

const islandNames = new Map<unknown, string>();

/** Collects the islands used while one page renders. */
export interface IslandCollector {
  used: Set<string>;
  nextId: number;
}

let collector: IslandCollector | null = null;
let insideIsland = false;

/** Registers `component` as the island called `name` (its file name in islands/). */
export function registerIsland(name: string, component: AnyComponent): void {
  islandNames.set(component, name);
}

/** The names of all registered islands. */
export function registeredIslands(): string[] {
  return [...new Set(islandNames.values())];
}

/** Renders `vnode` to HTML, wrapping islands; returns the HTML and the islands it used. */
// deno-lint-ignore no-explicit-any
export function renderWithIslands(vnode: VNode<any>): { html: string; islands: string[] } {
  const previous = collector;
  collector = { used: new Set(), nextId: 0 };
  try {
    const html = renderToString(vnode);
    return { html, islands: [...collector.used] };
  } finally {
    collector = previous;
  }
}

/** An island's props failed the JSON check; the message names the island and the prop's path. */
export class IslandPropsError extends Error {
  constructor(island: string, path: string, why: string) {
    super(`Island ${island}: prop ${path} ${why}; island props must be JSON-safe`);
    this.name = "IslandPropsError";
  }
}

/** Serializes island props, refusing anything that would not survive JSON unchanged. */
export function serializeIslandProps(island: string, props: Record<string, unknown>): string {
  assertJsonSafe(island, props, "props");
  // Escaping "<" keeps "</script>" inside a prop from closing the script element.
  return JSON.stringify(props).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function assertJsonSafe(island: string, value: unknown, path: string): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new IslandPropsError(island, path, "is not a finite number");
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJsonSafe(island, v, `${path}[${i}]`));
    return;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? "object";
      throw new IslandPropsError(island, path, `is a ${kind}, not a plain object`);
    }
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      assertJsonSafe(island, v, `${path}.${k}`);
    }
    return;
  }
  throw new IslandPropsError(island, path, `is a ${typeof value}`);
}

interface MarkerProps {
  name: string;
  component: AnyComponent;
  islandProps: Record<string, unknown>;
}

function IslandMarker({ name, component, islandProps }: MarkerProps): VNode {
  const current = collector!;
  const { children: _children, ...props } = islandProps;
  if (_children !== undefined) {
    throw new IslandPropsError(name, "props.children", "is set; islands take no children");
  }
  const json = serializeIslandProps(name, props);
  insideIsland = true;
  let inner: string;
  try {
    inner = renderToString(h(component, props));
  } finally {
    insideIsland = false;
  }
  const id = String(current.nextId++);
  current.used.add(name);
  return h(Fragment, null, [
    h("div", {
      "data-island": name,
      "data-island-id": id,
      dangerouslySetInnerHTML: { __html: inner },
    }),
    h("script", {
      type: "application/json",
      "data-island-props": id,
      dangerouslySetInnerHTML: { __html: json },
    }),
  ]);
}

const previousVnodeHook = options.vnode;
options.vnode = (vnode) => {
  if (collector && !insideIsland) {
    const name = islandNames.get(vnode.type);
    if (name) {
      // deno-lint-ignore no-explicit-any
      const node = vnode as any;
      node.props = { name, component: node.type, islandProps: node.props };
      node.type = IslandMarker;
    }
  }
  previousVnodeHook?.(vnode);
};

/** Imports every island module in `dir` (PascalCase files) and registers its default export. */
export async function loadIslands(dir: URL): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile && /^([A-Z][A-Za-z0-9]*)\.tsx?$/.exec(entry.name);
    if (!match) continue;
    const mod = await import(new URL(entry.name, dir).href);
    if (typeof mod.default !== "function") {
      throw new Error(`Island islands/${entry.name} has no default export component`);
    }
    registerIsland(match[1], mod.default);
    names.push(match[1]);
  }
  return names.sort();
}
