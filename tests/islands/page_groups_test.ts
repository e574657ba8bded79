import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { pageGroups, routeIslandSets } from "../../lib/islands/page_groups.ts";
import { scriptsFor } from "../../lib/islands/bundles.ts";

/** Writes `files` (path -> text) under a temp folder; returns its URL and a cleanup. */
async function tree(files: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "leadline page groups " });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, path), text);
  }
  return {
    root: pathToFileURL(dir + "/"),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("[islands] the islands a route renders are found through its components, not through types or import()", async () => {
  const { root, cleanup } = await tree({
    "islands/Board.tsx": 'import { helper } from "./board/helper.ts";\nexport default () => null;',
    "islands/board/helper.ts": "export const helper = 1;",
    "islands/Clock.tsx": "export default () => null;",
    "islands/Chat.tsx": "export default () => null;",
    "islands/Unused.tsx": "export default () => null;",
    "components/Shell.tsx": 'import Clock from "../islands/Clock.tsx";\n' +
      'import { a } from "./cycle_a.ts";\nexport const Shell = () => null;',
    "components/cycle_a.ts": 'import { b } from "./cycle_b.ts";\nexport const a = 1;',
    "components/cycle_b.ts": 'import { a } from "./cycle_a.ts";\nexport const b = 2;',
    "routes/index.tsx": 'import {\n  Shell,\n} from "../components/Shell.tsx";\n' +
      'import Board from "../islands/Board.tsx";\n' +
      'import type { ChatProps } from "../islands/Chat.tsx";\n' +
      'const later = () => import("../islands/Chat.tsx");\n',
    "routes/team/[id].tsx": 'import Clock from "../../islands/Clock.tsx";\n',
    "routes/api/data.ts": 'import { helper } from "../../islands/board/helper.ts";\n',
  });
  try {
    const sets = await routeIslandSets({
      routesDir: new URL("routes/", root),
      islandsDir: new URL("islands/", root),
    });
    assert.deepEqual(sets, [["Board", "Clock"], ["Clock"]]);
    assert.deepEqual(pageGroups(sets), [["Board", "Clock"]]);
    const none = await routeIslandSets({
      routesDir: new URL("no-routes/", root),
      islandsDir: new URL("islands/", root),
    });
    assert.deepEqual(none, [], "no routes folder, no groups");
  } finally {
    await cleanup();
  }
});

Deno.test("[islands] a page loads the one script holding all its islands, else each island's own", () => {
  const bundle = (file: string) => ({ file, chunks: ["chunk-P.js"] });
  const build = {
    islands: new Map([["Clock", bundle("Clock-1.js")], ["Help", bundle("Help-1.js")]]),
    pages: [
      { islands: ["Board", "Clock", "Feed"], bundle: bundle("Page-Board-Clock-Feed-1.js") },
      { islands: ["Board", "Clock"], bundle: bundle("Page-Board-Clock-1.js") },
    ],
    files: new Map(),
  };
  const files = (names: string[]) => scriptsFor(build, names).map((b) => b.file);
  assert.deepEqual(
    files(["Board", "Clock"]),
    ["Page-Board-Clock-1.js"],
    "the smallest that holds all",
  );
  assert.deepEqual(files(["Feed", "Board"]), ["Page-Board-Clock-Feed-1.js"]);
  assert.deepEqual(files(["Clock"]), ["Clock-1.js"], "an island alone: its own entry");
  assert.deepEqual(files(["Board"]), ["Page-Board-Clock-1.js"], "no entry of its own: a page's");
  assert.deepEqual(
    files(["Board", "Help"]),
    ["Page-Board-Clock-1.js", "Help-1.js"],
    "no page holds them all: each island's",
  );
  assert.deepEqual(files([]), []);
});
