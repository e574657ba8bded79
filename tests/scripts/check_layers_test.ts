import assert from "node:assert/strict";
import {
  checkLayers,
  checkTestLayout,
  formatViolations,
  type ImportGraph,
  moduleInfo,
  parseImports,
  readImportGraph,
  readTestLayout,
  RULES,
} from "../../scripts/check_layers.ts";

/** An import graph of made-up modules: path -> source text. */
function graphOf(files: Record<string, string>): ImportGraph {
  return new Map(Object.entries(files).map(([file, source]) => [file, moduleInfo(file, source)]));
}

/** The rules each file breaks, as `file -> [rule, …]`. */
function broken(files: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of checkLayers(graphOf(files))) (out[v.file] ??= []).push(v.rule);
  return out;
}

Deno.test("[check_layers] parseImports reads every import form, not comments", () => {
  const edges = parseImports(
    "lib/leads/x.ts",
    [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      "import {",
      "  type C,",
      "  type D,",
      '} from "../../routes/c.ts";',
      'import "./side_effect.ts";',
      'export { e } from "./e.ts";',
      "export const f = 1;",
      '// import { g } from "./commented.ts";',
      'const h = await import("./lazy.ts");',
      'import { Hono } from "hono";',
    ].join("\n"),
  );
  assert.deepEqual(
    edges.map((e) => [e.line, e.target, e.typeOnly, e.reexport, e.external, e.dynamic]),
    [
      [1, "lib/leads/a.ts", false, false, false, false],
      [2, "lib/b.ts", true, false, false, false],
      [3, "routes/c.ts", true, false, false, false],
      [7, "lib/leads/side_effect.ts", false, false, false, false],
      [8, "lib/leads/e.ts", false, true, false, false],
      [11, "lib/leads/lazy.ts", false, false, false, true],
      [12, "hono", false, false, true, false],
    ],
  );
});

Deno.test("[check_layers] each rule catches an import that breaks it, and names it", () => {
  const found = broken({
    // Islands: server code (even by type) and non-Preact packages.
    "islands/Board.tsx": 'import type { Alert } from "../lib/alerts.ts";\nimport "hono";',
    "islands/board/helper.ts": 'import { x } from "../../lib/format/time.ts";',
    // A route imports another route and an island's private module.
    "routes/a.tsx": 'import { x } from "./b.ts";\nimport { y } from "../islands/board/helper.ts";',
    "routes/b.ts": "export const x = 1;",
    // The core imports the HTTP layer and reaches up to a component.
    "lib/leads/thing.ts": 'import { h } from "../web/http_error.ts";\n' +
      'import { C } from "../../components/Card.tsx";\nimport "hono";',
    // The framework imports app code.
    "lib/web/server.ts": 'import { leads } from "../leads/thing.ts";',
    // The wire types import something; the shared formatting uses the server runtime.
    "lib/wire.ts": 'import type { Lead } from "./leads/model.ts";',
    "lib/format/time.ts": "export const now = Deno.env.get('X');",
    // Config imports a module that imports another: not a leaf.
    "lib/config.ts": 'import { rule } from "./auth/rules.ts";',
    "lib/auth/rules.ts": 'import { e } from "../errors.ts";',
    // A barrel, and a private module used from another folder.
    "lib/jobs/mod.ts": 'export * from "./queue.ts";',
    "lib/stats/x.ts": 'import { p } from "../jobs/_private.ts";',
    // A raw commit.
    "lib/alerts.ts": "await kv.atomic().set(k, v).commit();",
    // Nothing inside the app imports the entry points.
    "components/Card.tsx": 'import config from "../fresh.config.ts";',
  });
  assert.deepEqual(found, {
    "components/Card.tsx": ["entry points stay on top"],
    "islands/Board.tsx": ["islands run in the browser", "islands run in the browser"],
    "lib/alerts.ts": ["one way to commit to KV"],
    "lib/config.ts": ["config sits at the bottom"],
    "lib/format/time.ts": ["shared browser-safe code imports nothing of the server"],
    "lib/jobs/mod.ts": ["no barrel files"],
    "lib/leads/thing.ts": [
      "the core knows nothing of HTTP",
      "components serve pages",
      "lib never reaches up",
      "the core knows nothing of HTTP",
    ],
    "lib/stats/x.ts": ["private modules stay in their folder"],
    "lib/web/server.ts": ["the framework knows nothing of the app"],
    "lib/wire.ts": ["shared browser-safe code imports nothing of the server"],
    "routes/a.tsx": ["routes are loaded, never imported", "pages use an island through its entry"],
  });
});

Deno.test("[check_layers] the wiring: the framework and the core never import it, it imports no HTTP, and only it loads the simulator (dynamically)", () => {
  const found = broken({
    // The framework names the app's state, or the services; the core reads the request state.
    "lib/web/define.ts": 'import type { AppServices } from "../services.ts";',
    "lib/web/server.ts": 'import type { State } from "../app_state.ts";',
    "lib/leads/thing.ts": 'import type { State } from "../app_state.ts";',
    // The services import the framework and hono, and load the simulator with the module.
    "lib/services.ts": 'import { jsonResponse } from "./web/http_error.ts";\nimport "hono";\n' +
      'import { startGraphSimulator } from "./graph_sim/mod.ts";',
    // The entry point and a route import the simulator, one of them only dynamically.
    "main.ts": 'import { startGraphSimulator } from "./lib/graph_sim/mod.ts";',
    "routes/demo.ts": 'const sim = await import("../lib/graph_sim/mod.ts");',
  });
  assert.deepEqual(found, {
    "lib/leads/thing.ts": ["the core knows nothing of HTTP"],
    "lib/services.ts": [
      "the services know nothing of HTTP",
      "the services know nothing of HTTP",
      "the Graph simulator loads only in demo mode",
    ],
    "lib/web/define.ts": ["the framework knows nothing of the app"],
    "lib/web/server.ts": ["the framework knows nothing of the app"],
    "main.ts": ["the Graph simulator loads only in demo mode"],
    "routes/demo.ts": ["the Graph simulator loads only in demo mode"],
  });
  // What is allowed: the dynamic import from the wiring, type imports, the simulator's own
  // modules, scripts, and routes typed by the app's state.
  assert.deepEqual(
    broken({
      "lib/services.ts": 'import type { GraphSimulator } from "./graph_sim/mod.ts";\n' +
        'const { startGraphSimulator } = await import("./graph_sim/mod.ts");',
      "lib/graph_sim/mod.ts": 'import { handleGraphRequest } from "./graph_api.ts";',
      "scripts/sim.ts": 'import { startGraphSimulator } from "../lib/graph_sim/mod.ts";',
      "routes/index.tsx": 'import { define } from "../lib/app_state.ts";',
      "lib/app_state.ts": 'import type { AppServices } from "./services.ts";\n' +
        'import { createDefine } from "./web/define.ts";\nimport type { Context } from "hono";',
      "lib/auth_web/access.ts": 'import type { AppContext } from "../app_state.ts";',
    }),
    {},
  );
});

Deno.test("[check_layers] the report names the file, line, import and rule", () => {
  const violations = checkLayers(graphOf({
    "islands/Board.tsx":
      'import { x } from "./board/x.ts";\nimport type { Alert } from "../lib/alerts.ts";',
  }));
  assert.equal(
    formatViolations(violations),
    "islands/Board.tsx:2  lib/alerts.ts\n" +
      "    [islands run in the browser] lib/alerts.ts is server code; the browser may use " +
      "lib/wire.ts and lib/format/ only",
  );
});

Deno.test("[check_layers] allowed imports pass: pages render island entries, islands use wire and format", () => {
  assert.deepEqual(
    broken({
      "routes/index.tsx": 'import Board from "../islands/Board.tsx";\n' +
        'import { Card } from "../components/Card.tsx";\nimport { f } from "../lib/format/time.ts";',
      "components/Card.tsx": 'import type { Lead } from "../lib/leads/model.ts";',
      "islands/Board.tsx": 'import { useState } from "preact/hooks";\n' +
        'import type { LeadRow } from "../lib/wire.ts";\nimport { x } from "./board/x.ts";',
      "islands/board/x.ts": 'import { signal } from "@preact/signals";',
      "lib/format/time.ts": 'import type { LeadRow } from "../wire.ts";',
      "lib/wire.ts": "export interface LeadRow { id: string }",
      "lib/leads/model.ts": 'import { DomainError } from "../errors.ts";',
      "lib/errors.ts": "export class DomainError extends Error {}",
      "lib/web/server.ts":
        'import { DomainError } from "../errors.ts";\nimport { Hono } from "hono";',
      "lib/kv_commit.ts": "await op.commit();",
    }),
    {},
  );
});

Deno.test("[check_layers] the app's own code keeps every rule", async () => {
  const graph = await readImportGraph(new URL("../../", import.meta.url));
  assert.ok(graph.size > 100, "the whole app was read");
  assert.deepEqual(formatViolations(checkLayers(graph)), "");
});

Deno.test("[check_layers] tests mirror lib/: a folder or tests/lib file named after nothing in lib/ is refused", async () => {
  const layout = {
    testFolders: ["_helpers", "browser", "leads", "lib", "routes", "ingest"],
    libFolders: ["leads", "web"],
    libModules: ["config", "log"],
    libTests: ["config_test.ts", "config_meta_health_test.ts", "log_test.ts", "pipeline_test.ts"],
  };
  const violations = checkTestLayout(layout);
  assert.deepEqual(violations.map((v) => v.file), ["tests/ingest/", "tests/lib/pipeline_test.ts"]);
  assert.ok(violations.every((v) => v.rule === "tests mirror lib/"));
  assert.match(formatViolations(violations), /no lib\/ingest\/ exists/);
  // The project itself holds to it.
  assert.deepEqual(checkTestLayout(await readTestLayout(new URL("../../", import.meta.url))), []);
});

Deno.test("[check_layers] docs/ARCHITECTURE.md's rule table names every rule the check enforces", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/ARCHITECTURE.md", import.meta.url));
  const table = new Set(
    [...doc.matchAll(/^\| ([a-z][^|]*?) +\|/gm)].map((m) => m[1].replaceAll("`", "")),
  );
  for (const rule of [...RULES.map((r) => r.name), "tests mirror lib/"]) {
    assert.ok(table.has(rule), `the rule "${rule}" is in the table`);
  }
  assert.doesNotMatch(doc, /temporary exception/, "the check has no exceptions");
});
