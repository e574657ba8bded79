// `deno task check` runs this: reads every import of the app's code and fails, naming the import
// and the rule, when one breaks the layering that docs/ARCHITECTURE.md describes.

import { dirname, join, normalize, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** One import (or re-export) written in a module. */
export interface ImportEdge {
  /** What the source says, e.g. `../lib/leads/model.ts` or `preact/hooks`. */
  specifier: string;
  /**
   * The module it names, relative to the project root with `/` separators
   * (`lib/leads/model.ts`), or the specifier itself for a package (`preact/hooks`, `node:path`).
   */
  target: string;
  /** True for a package (npm, node:, bare) rather than a file of ours. */
  external: boolean;
  /** `import type` / `export type`: erased at run time, yet still a dependency of the code. */
  typeOnly: boolean;
  /** `export … from`: the module passes on another's exports. */
  reexport: boolean;
  /** `import("…")`: loaded when the code runs that line, not with the module. */
  dynamic: boolean;
  /** 1-based line of the statement. */
  line: number;
}

/** One module of ours: its imports and the facts about its text the rules need. */
export interface ModuleInfo {
  imports: ImportEdge[];
  /** Lines that call `.commit()` on a KV atomic operation. */
  commitLines: number[];
  /** Lines that use the `Deno` namespace. */
  denoLines: number[];
}

/** The import graph: module path (relative to the root, `/` separators) -> what it holds. */
export type ImportGraph = Map<string, ModuleInfo>;

/** An import (or line) that breaks a rule. */
export interface Violation {
  /** The module where it is written. */
  file: string;
  line: number;
  /** What it names (`lib/web/define.ts`, `hono`), or what the line does. */
  target: string;
  /** The rule's short name, as in docs/ARCHITECTURE.md. */
  rule: string;
  /** Why it breaks the rule, in words. */
  reason: string;
}

/** The folders and files whose imports are checked: the app, not its tests or benchmarks. */
export const CHECKED_ROOTS: readonly string[] = [
  "main.ts",
  "fresh.config.ts",
  "lib",
  "routes",
  "islands",
  "components",
  "scripts",
];

const SOURCE = /\.(ts|tsx)$/;

// Static imports and re-exports (`import x from "y"`, `import "y"`, `export { x } from "y"`,
// over several lines) and dynamic imports of a literal (`import("y")`).
const STATEMENT =
  /(?:^|\n)[ \t]*(import|export)(\s+type)?\s*(?:[\w*\s{},$]*?\bfrom\s*)?["']([^"']+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/** The imports written in `source`; `file` is its path relative to the root. */
export function parseImports(file: string, source: string): ImportEdge[] {
  const text = stripComments(source);
  const edges: ImportEdge[] = [];
  const lineOf = (index: number) => text.slice(0, index).split("\n").length;
  for (const match of text.matchAll(STATEMENT)) {
    const [whole, keyword, typeWord, specifier] = match;
    // `export const x = …` and the like never reach "from": only statements naming a module.
    if (keyword === "export" && !/\bfrom\s*["']/.test(whole)) continue;
    const start = match.index! + whole.search(/\S/);
    edges.push({
      ...resolve(file, specifier),
      specifier,
      typeOnly: typeWord !== undefined || allTypeOnly(whole),
      reexport: keyword === "export",
      dynamic: false,
      line: lineOf(start),
    });
  }
  for (const match of text.matchAll(DYNAMIC)) {
    edges.push({
      ...resolve(file, match[1]),
      specifier: match[1],
      typeOnly: false,
      reexport: false,
      dynamic: true,
      line: lineOf(match.index!),
    });
  }
  return edges.sort((a, b) => a.line - b.line);
}

// `import { type A, type B } from` is type-only too; one value name makes it a real import.
function allTypeOnly(statement: string): boolean {
  const match = /^\s*(?:import|export)\s*\{([^}]*)\}\s*from/.exec(statement);
  if (!match) return false;
  const names = match[1];
  return names.split(",").map((n) => n.trim()).filter((n) => n !== "")
    .every((n) => n.startsWith("type "));
}

// Comments out, keeping line breaks (so line numbers hold) and strings (so "//" in a URL stays).
function stripComments(source: string): string {
  return source.replace(
    /("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (match, quoted) => quoted ?? match.replace(/[^\n]/g, " "),
  );
}

function resolve(file: string, specifier: string): { target: string; external: boolean } {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) {
    return { target: specifier, external: true };
  }
  const path = normalize(join(dirname(file), specifier)).split(sep).join("/");
  return { target: path, external: false };
}

/** Reads every `.ts`/`.tsx` file under `roots` (relative to `root`) into an import graph. */
export async function readImportGraph(
  root: URL,
  roots: readonly string[] = CHECKED_ROOTS,
): Promise<ImportGraph> {
  const base = fileURLToPath(root);
  const graph: ImportGraph = new Map();
  async function visit(path: string) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch {
      return; // a root this project does not have
    }
    if (info.isDirectory) {
      for await (const entry of Deno.readDir(path)) await visit(join(path, entry.name));
      return;
    }
    if (!info.isFile || !SOURCE.test(path)) return;
    const file = relative(base, path).split(sep).join("/");
    graph.set(file, moduleInfo(file, await Deno.readTextFile(path)));
  }
  for (const entry of roots) await visit(join(base, entry));
  return graph;
}

/** What the rules need to know of one module's text. */
export function moduleInfo(file: string, source: string): ModuleInfo {
  const code = stripComments(source).split("\n");
  const linesMatching = (pattern: RegExp) =>
    code.flatMap((text, i) => (pattern.test(text) ? [i + 1] : []));
  return {
    imports: parseImports(file, source),
    commitLines: linesMatching(/\.commit\(\)/),
    denoLines: linesMatching(/\bDeno\./),
  };
}

// ---- the layers -------------------------------------------------------------------------------

/** The layer a module of ours belongs to, by its path. */
export type Layer =
  | "entry" // main.ts, fresh.config.ts, scripts/: build and start the app
  | "route" // routes/: one file per URL, loaded by the router
  | "island" // islands/: browser code, hydrated on the page
  | "component" // components/: server-rendered views
  | "wire" // lib/wire.ts: the types that travel between server and browser
  | "format" // lib/format/: pure formatting and parsing both sides share
  | "framework" // lib/web/, lib/islands/: the framework layer, generic over the app
  | "http" // lib/auth_web/: accounts over HTTP (sessions, access, cookies)
  | "services" // lib/services.ts: the one place the app's services are built
  | "state" // lib/app_state.ts: what every request carries, and the routes' `define`
  | "config" // lib/config.ts: the environment, validated
  | "core"; // the rest of lib/: the domain, free of HTTP

/** Which layer `file` (a path relative to the root) belongs to. */
export function layerOf(file: string): Layer {
  if (file === "main.ts" || file === "fresh.config.ts" || file.startsWith("scripts/")) {
    return "entry";
  }
  if (file.startsWith("routes/")) return "route";
  if (file.startsWith("islands/")) return "island";
  if (file.startsWith("components/")) return "component";
  if (file === "lib/wire.ts") return "wire";
  if (file.startsWith("lib/format/")) return "format";
  if (file.startsWith("lib/web/") || file.startsWith("lib/islands/")) return "framework";
  if (file.startsWith("lib/auth_web/")) return "http";
  if (file === "lib/services.ts") return "services";
  if (file === "lib/app_state.ts") return "state";
  if (file === "lib/config.ts") return "config";
  return "core";
}

/** Browser code: the islands and the module that boots them on the page. */
function isBrowserCode(file: string): boolean {
  return layerOf(file) === "island" || file === "lib/islands/boot.ts";
}

/** An island's own entry (`islands/LeadDashboard.tsx`), the only part of islands/ pages render. */
function isIslandEntry(file: string): boolean {
  return /^islands\/[A-Z][A-Za-z0-9]*\.tsx?$/.test(file);
}

/** Packages the browser bundles may hold: Preact and its signals. */
function isBrowserPackage(specifier: string): boolean {
  return /^(preact|@preact\/signals)(\/|$)/.test(specifier);
}

/** A rule of the layering: its name, what it says, and the check of one import. */
export interface LayerRule {
  name: string;
  /** The rule in one sentence, as docs/ARCHITECTURE.md states it. */
  says: string;
  /** Why `edge`, written in `file`, breaks the rule, or null when it does not. */
  check(file: string, edge: ImportEdge, graph: ImportGraph): string | null;
}

/** The rules, in the order docs/ARCHITECTURE.md lists them. */
export const RULES: readonly LayerRule[] = [
  {
    name: "entry points stay on top",
    says: "Nothing in lib/, routes/, islands/ or components/ imports main.ts, fresh.config.ts " +
      "or scripts/.",
    check(file, edge) {
      if (edge.external || layerOf(file) === "entry") return null;
      return layerOf(edge.target) === "entry"
        ? `${edge.target} is an entry point: it builds the app, nothing inside the app uses it`
        : null;
    },
  },
  {
    name: "routes are loaded, never imported",
    says: "No module imports a file of routes/: the router loads them.",
    check(_file, edge) {
      return !edge.external && layerOf(edge.target) === "route"
        ? "a route is loaded by the router; shared code belongs in lib/ or components/"
        : null;
    },
  },
  {
    name: "islands run in the browser",
    says: "islands/ (and lib/islands/boot.ts) import only Preact, lib/wire.ts, lib/format/ and " +
      "islands/, type imports included.",
    check(file, edge) {
      if (!isBrowserCode(file)) return null;
      if (edge.external) {
        return isBrowserPackage(edge.specifier)
          ? null
          : `${edge.specifier} is not a package the browser bundles hold`;
      }
      const layer = layerOf(edge.target);
      if (layer === "island" || layer === "wire" || layer === "format") return null;
      return `${edge.target} is server code; the browser may use lib/wire.ts and lib/format/ only`;
    },
  },
  {
    name: "pages use an island through its entry",
    says: "Outside islands/, only routes/ and components/ import islands/, and only an island " +
      "itself (islands/<Name>.tsx), never the private modules beside it.",
    check(file, edge) {
      if (edge.external || layerOf(edge.target) !== "island" || layerOf(file) === "island") {
        return null;
      }
      if (layerOf(file) !== "route" && layerOf(file) !== "component") {
        return "only pages render islands";
      }
      return isIslandEntry(edge.target)
        ? null
        : `${edge.target} is an island's private module; what the server shares with it goes ` +
          "in lib/wire.ts or lib/format/";
    },
  },
  {
    name: "components serve pages",
    says: "components/ is imported only by routes/ and components/.",
    check(file, edge) {
      if (edge.external || layerOf(edge.target) !== "component") return null;
      return layerOf(file) === "route" || layerOf(file) === "component"
        ? null
        : "components are server-rendered views for pages";
    },
  },
  {
    name: "shared browser-safe code imports nothing of the server",
    says: "lib/wire.ts imports nothing; lib/format/ imports only lib/wire.ts and lib/format/.",
    check(file, edge) {
      const layer = layerOf(file);
      if (layer !== "wire" && layer !== "format") return null;
      if (edge.external) return `${edge.specifier} would go into the browser bundles`;
      const target = layerOf(edge.target);
      if (layer === "wire") return "lib/wire.ts is types only and stands alone";
      return target === "wire" || target === "format"
        ? null
        : `${edge.target} is server code, and lib/format/ runs in the browser too`;
    },
  },
  {
    name: "lib never reaches up",
    says: "lib/ never imports routes/, islands/, components/, main.ts, fresh.config.ts or " +
      "scripts/.",
    check(file, edge) {
      if (!file.startsWith("lib/") || edge.external) return null;
      const target = layerOf(edge.target);
      if (file === "lib/islands/boot.ts") return null; // browser code: its own rule
      return target === "island" || target === "component" || target === "route" ||
          target === "entry"
        ? `lib/ is below ${edge.target}`
        : null;
    },
  },
  {
    name: "the framework knows nothing of the app",
    says: "lib/web/ and lib/islands/ import only each other, lib/errors.ts and packages.",
    check(file, edge) {
      if (layerOf(file) !== "framework" || edge.external) return null;
      if (layerOf(edge.target) === "framework" || edge.target === "lib/errors.ts") return null;
      return `${edge.target} is app code; the framework layer is generic over it`;
    },
  },
  {
    name: "the core knows nothing of HTTP",
    says: "Core modules (lib/ but web/, islands/, auth_web/, services.ts, app_state.ts) never " +
      "import lib/web/, lib/auth_web/, lib/services.ts, lib/app_state.ts or hono.",
    check(file, edge) {
      if (layerOf(file) !== "core") return null;
      if (edge.external) {
        return /^(npm:)?hono(\/|@|$)/.test(edge.specifier) ? "hono is the HTTP framework" : null;
      }
      const target = layerOf(edge.target);
      if (target === "framework" && !edge.target.startsWith("lib/islands/")) {
        return `${edge.target} is the HTTP framework`;
      }
      if (target === "http") return `${edge.target} is accounts over HTTP`;
      if (target === "services") return "lib/services.ts is the app's wiring, above the core";
      if (target === "state") return "lib/app_state.ts is the HTTP request's state";
      return null;
    },
  },
  {
    name: "the services know nothing of HTTP",
    says: "lib/services.ts never imports lib/web/, lib/auth_web/, lib/app_state.ts or hono.",
    check(file, edge) {
      if (layerOf(file) !== "services") return null;
      if (edge.external) {
        return /^(npm:)?hono(\/|@|$)/.test(edge.specifier) ? "hono is the HTTP framework" : null;
      }
      const target = layerOf(edge.target);
      return target === "framework" || target === "http" || target === "state"
        ? `${edge.target} is HTTP; the services serve a CLI or a job as well as the web app`
        : null;
    },
  },
  {
    name: "the Graph simulator loads only in demo mode",
    says: "Outside lib/graph_sim/, only lib/services.ts imports it, by a dynamic `import()` in " +
      "its demo branch (type imports aside); scripts/ may use it.",
    check(file, edge) {
      if (edge.external || !edge.target.startsWith("lib/graph_sim/")) return null;
      if (file.startsWith("lib/graph_sim/") || file.startsWith("scripts/") || edge.typeOnly) {
        return null;
      }
      if (file === "lib/services.ts" && edge.dynamic) return null;
      return file === "lib/services.ts"
        ? "import the simulator with import() in the demo branch: a live server never loads it"
        : "only lib/services.ts starts the simulator (in demo mode); use services.simulator";
    },
  },
  {
    name: "config sits at the bottom",
    says: "lib/config.ts imports only leaf modules: modules that import no module of ours.",
    check(file, edge, graph) {
      if (layerOf(file) !== "config" || edge.external) return null;
      const imported = graph.get(edge.target);
      const ours = imported?.imports.filter((e) => !e.external) ?? [];
      return ours.length === 0
        ? null
        : `${edge.target} imports ${ours[0].target}; the configuration depends on nothing above it`;
    },
  },
  {
    name: "no barrel files",
    says: "No module re-exports another's exports (`export … from`): import the module that " +
      "defines what you use.",
    check(_file, edge) {
      return edge.reexport ? "re-exports hide where things live; import the defining module" : null;
    },
  },
  {
    name: "private modules stay in their folder",
    says: "A module whose name starts with `_` is imported only from its own folder.",
    check(file, edge) {
      if (edge.external) return null;
      const name = edge.target.split("/").at(-1) ?? "";
      if (!name.startsWith("_")) return null;
      return dirname(edge.target) === dirname(file)
        ? null
        : `${edge.target} is private to ${dirname(edge.target)}/`;
    },
  },
];

/** The import graph's modules, checked against {@linkcode RULES}; every import that breaks one. */
export function checkLayers(graph: ImportGraph): Violation[] {
  const violations: Violation[] = [];
  for (const [file, info] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    for (const edge of info.imports) {
      for (const rule of RULES) {
        const reason = rule.check(file, edge, graph);
        if (reason !== null) {
          violations.push({ file, line: edge.line, target: edge.target, rule: rule.name, reason });
        }
      }
    }
    // The browser-safe modules must not lean on the server runtime, whatever they import.
    const layer = layerOf(file);
    if (layer === "wire" || layer === "format" || isBrowserCode(file)) {
      for (const line of info.denoLines) {
        violations.push({
          file,
          line,
          target: "Deno",
          rule: "shared browser-safe code imports nothing of the server",
          reason: "the Deno namespace does not exist in the browser",
        });
      }
    }
    // One helper commits KV atomic operations: it rides out "database is locked".
    if ((file.startsWith("lib/") || file.startsWith("routes/")) && file !== "lib/kv_commit.ts") {
      for (const line of info.commitLines) {
        violations.push({
          file,
          line,
          target: ".commit()",
          rule: "one way to commit to KV",
          reason: "commit through commitAtomic (lib/kv_commit.ts), which retries a busy database",
        });
      }
    }
  }
  return violations;
}

/**
 * The folders of tests/ that are not named after a folder of lib/, each with what it holds. Every
 * other folder of tests/ mirrors lib/ (tests/leads tests lib/leads), so a test is found where its
 * module is; tests/islands holds the tests of islands/ and of lib/islands.
 */
export const TEST_FOLDERS_BESIDE_LIB: Readonly<Record<string, string>> = {
  _helpers: "the shared test fixtures",
  browser: "tests in Chromium of what a person sees and clicks",
  e2e: "tests of the whole server as a process",
  faults: "the fault suites (deno task test:faults)",
  fixtures: "Meta-format payloads",
  lib: "tests of the modules at the top of lib/ (each named after its module)",
  routes: "tests of routes/ through HTTP",
  scripts: "tests of scripts/",
};

/**
 * Where tests break the mirror of lib/: a folder of tests/ named after no folder of lib/ (nor
 * listed in {@linkcode TEST_FOLDERS_BESIDE_LIB}), or a test in tests/lib named after no module at
 * the top of lib/. `testFolders` are tests/'s folders, `libFolders` lib/'s, `libModules` the
 * names of lib/'s top-level modules (without `.ts`), `libTests` the files in tests/lib.
 */
export function checkTestLayout(layout: {
  testFolders: readonly string[];
  libFolders: readonly string[];
  libModules: readonly string[];
  libTests: readonly string[];
}): Violation[] {
  const violations: Violation[] = [];
  const rule = "tests mirror lib/";
  for (const folder of layout.testFolders) {
    if (layout.libFolders.includes(folder) || Object.hasOwn(TEST_FOLDERS_BESIDE_LIB, folder)) {
      continue;
    }
    violations.push({
      file: `tests/${folder}/`,
      line: 0,
      target: `lib/${folder}/`,
      rule,
      reason: `no lib/${folder}/ exists: put these tests in the folder named after what they test`,
    });
  }
  for (const file of layout.libTests) {
    if (!file.endsWith("_test.ts")) continue;
    const name = file.replace(/_test\.ts$/, "");
    if (layout.libModules.some((module) => name === module || name.startsWith(module + "_"))) {
      continue;
    }
    violations.push({
      file: `tests/lib/${file}`,
      line: 0,
      target: `lib/${name}.ts`,
      rule,
      reason: "a test in tests/lib is named after the lib/ module it tests (lib/<name>.ts)",
    });
  }
  return violations;
}

/** Reads the layout {@linkcode checkTestLayout} checks from the project at `root`. */
export async function readTestLayout(root: URL): Promise<Parameters<typeof checkTestLayout>[0]> {
  const list = async (dir: string, want: (entry: Deno.DirEntry) => boolean) => {
    const names: string[] = [];
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      if (want(entry)) names.push(entry.name);
    }
    return names.sort();
  };
  return {
    testFolders: await list("tests/", (e) => e.isDirectory),
    libFolders: await list("lib/", (e) => e.isDirectory),
    libModules: (await list("lib/", (e) => e.isFile && SOURCE.test(e.name)))
      .map((name) => name.replace(SOURCE, "")),
    libTests: await list("tests/lib/", (e) => e.isFile),
  };
}

/** `file:line  imports target  [rule] reason`, one line per violation. */
export function formatViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) => `${v.file}:${v.line}  ${v.target}\n    [${v.rule}] ${v.reason}`)
    .join("\n");
}

if (import.meta.main) {
  const graph = await readImportGraph(new URL("../", import.meta.url));
  const violations = [
    ...checkLayers(graph),
    ...checkTestLayout(await readTestLayout(new URL("../", import.meta.url))),
  ];
  const edges = [...graph.values()].reduce((n, info) => n + info.imports.length, 0);
  if (violations.length > 0) {
    console.error(formatViolations(violations));
    console.error(
      `\nThe layering is broken: ${violations.length} import(s) or line(s) above ` +
        "(rules in docs/ARCHITECTURE.md).",
    );
    Deno.exit(1);
  }
  console.log(
    `Layering holds: ${graph.size} modules, ${edges} imports checked against ${RULES.length} ` +
      "rules, with no exceptions; tests/ mirrors lib/.",
  );
}
