// Test fixtures: a small islands project in a temp folder whose path has spaces, built for real.

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildIslands, type IslandBuildResult } from "../../scripts/build_islands.ts";

const PROJECT = new URL("../../", import.meta.url);

/** A fixture project: `root/islands/` with two islands, its own deno.json, and a build folder. */
export interface IslandFixture {
  /** The fixture's root, as a directory file URL (its path holds spaces). */
  root: URL;
  islandsDir: URL;
  outDir: URL;
  config: URL;
  /** Builds the fixture's islands into `outDir`. */
  build(options?: { sourceMaps?: boolean }): Promise<IslandBuildResult>;
  /** Absolute path of a file in the fixture, e.g. `path("islands/lazy/heavy.ts")`. */
  path(rel: string): string;
  cleanup(): Promise<void>;
}

/** Text the lazily imported module returns, to find its chunk and see it run in a browser. */
export const HEAVY_TEXT = "heavy module loaded";

/**
 * Writes a fixture with `Lazy` (which loads `./lazy/heavy.ts` with `import()` on a click) and
 * `Plain`, plus copies of our deno.json and deno.lock so imports resolve as in the app.
 */
export async function createIslandFixture(): Promise<IslandFixture> {
  const parent = await Deno.makeTempDir({ prefix: "leadline islands " });
  const dir = join(parent, "my project");
  const path = (rel: string) => join(dir, ...rel.split("/"));
  await Deno.mkdir(path("islands/lazy"), { recursive: true });
  await Deno.writeTextFile(
    path("islands/Lazy.tsx"),
    `import { useState } from "preact/hooks";

export default function Lazy(props: { label: string }) {
  const [text, setText] = useState(props.label);
  return (
    <button
      type="button"
      onClick={async () => {
        const { heavy } = await import("./lazy/heavy.ts");
        setText(heavy());
      }}
    >
      {text}
    </button>
  );
}
`,
  );
  await Deno.writeTextFile(
    path("islands/lazy/heavy.ts"),
    `export function heavy(): string {\n  return ${JSON.stringify(HEAVY_TEXT)};\n}\n`,
  );
  await Deno.writeTextFile(
    path("islands/Plain.tsx"),
    `export default function Plain(props: { text: string }) {\n  return <p>{props.text}</p>;\n}\n`,
  );
  for (const file of ["deno.json", "deno.lock"]) {
    await Deno.copyFile(new URL(file, PROJECT), path(file));
  }
  const root = pathToFileURL(dir + "/");
  const fixture: IslandFixture = {
    root,
    islandsDir: new URL("islands/", root),
    outDir: new URL("out dir/islands/", root),
    config: new URL("deno.json", root),
    build: (options = {}) =>
      buildIslands({
        islandsDir: fixture.islandsDir,
        outDir: fixture.outDir,
        root,
        config: fixture.config,
        sourceMaps: options.sourceMaps,
      }),
    path,
    cleanup: () => Deno.remove(parent, { recursive: true }),
  };
  return fixture;
}
