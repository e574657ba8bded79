// Which islands each route renders, read from the sources' imports: the build makes one script of
// the islands a page shows together, so a page loads one entry instead of one per island and gzip
// compresses them as one text (issue 16: 15 KB gzip for all of a page's JS).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where to look: the routes, and the islands their imports lead to. */
export interface RouteIslandsOptions {
  routesDir: URL;
  islandsDir: URL;
}

// `import X from "./x.ts"`, `import { a, type B } from "../y.tsx"`, `import "./z.ts"` and
// `export { c } from "./w.ts"`; not `import type` (no code comes with it) and not `import()`
// (a lazy part is not the page's). Only relative imports: npm packages render no islands.
const STATIC_IMPORT =
  /(?:^|[\n;])\s*(?:import|export)\s+(?!type\s)(?:[^"'`;]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+\.[jt]sx?)["']/g;

/**
 * The set of islands each route module can render (sorted names), found by following its static
 * relative imports through components and libraries until they reach a PascalCase module directly
 * in `islandsDir`. Routes that render no island are left out; a missing routes folder gives none.
 */
export async function routeIslandSets(options: RouteIslandsOptions): Promise<string[][]> {
  const routesDir = fileURLToPath(options.routesDir);
  const islandsDir = fileURLToPath(options.islandsDir).replace(/[\\/]+$/, "");
  const reached = new Map<string, Promise<Set<string>>>();

  /** The islands `file` imports, directly or not (cycles end at a file already being read). */
  function islandsOf(file: string): Promise<Set<string>> {
    let found = reached.get(file);
    if (found) return found;
    found = (async () => {
      const islands = new Set<string>();
      if (dirname(file) === islandsDir) {
        const match = /^([A-Z][A-Za-z0-9]*)\.tsx?$/.exec(file.slice(islandsDir.length + 1));
        if (match) {
          islands.add(match[1]);
          return islands;
        }
      }
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch {
        return islands;
      }
      const imports = [...text.matchAll(STATIC_IMPORT)].map((m) => join(dirname(file), m[1]));
      // Started together, awaited in turn; a cycle sees the partial set of the file it came from.
      reached.set(file, Promise.resolve(islands));
      for (const set of await Promise.all(imports.map(islandsOf))) {
        for (const name of set) islands.add(name);
      }
      return islands;
    })();
    reached.set(file, found);
    return found;
  }

  const sets = new Map<string, string[]>();
  for (const file of await routeFiles(routesDir)) {
    const names = [...await islandsOf(file)].sort();
    if (names.length > 0) sets.set(names.join(","), names);
  }
  return [...sets.values()].sort((a, b) => a.join(",").localeCompare(b.join(",")));
}

/** Every `.ts`/`.tsx` module under `dir`, sorted; none when it does not exist. */
async function routeFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  async function walk(path: string): Promise<void> {
    let entries;
    try {
      entries = await Array.fromAsync(Deno.readDir(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const child = join(path, entry.name);
      if (entry.isDirectory) await walk(child);
      else if (entry.isFile && /\.tsx?$/.test(entry.name)) files.push(child);
    }
  }
  await walk(dir);
  return files.sort();
}

/** The islands a route shows together (two or more), each set built as one page script. */
export function pageGroups(sets: string[][]): string[][] {
  return sets.filter((set) => set.length > 1);
}
