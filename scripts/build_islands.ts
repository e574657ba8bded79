// Bundles every island for the browser, content-hashed and precompressed, with a manifest for the server.
// All islands build together with code splitting, so Preact and shared code load once per page.

import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  COMPRESSED_DIR,
  ENCODED_SUFFIX,
  FILES_DIR,
  hashSources,
  type IslandManifest,
  MANIFEST_VERSION,
  sha256Hex,
} from "../lib/islands/manifest.ts";
import { pageGroups, routeIslandSets } from "../lib/islands/page_groups.ts";
import { type ContentCoding, isCompressible, precompress } from "../lib/web/encoding.ts";
import framework from "../fresh.config.ts";

const ROOT = framework.root;

/** Where the islands come from and where the build goes; tests point these at fixtures. */
export interface BuildIslandsOptions {
  /** Folder of island modules (PascalCase `.tsx`/`.ts` files). Default: fresh.config.ts's. */
  islandsDir?: URL;
  /** Folder of the routes, whose imports say which islands share a page. Default: `root`'s routes/. */
  routesDir?: URL;
  /** The build's folder, replaced whole. Default: fresh.config.ts's (`_build/islands/`). */
  outDir?: URL;
  /** Source paths in the manifest are relative to this. Default: the project root. */
  root?: URL;
  /** The deno.json the bundler resolves imports with (its deno.lock beside it). Default: ours. */
  config?: URL;
  /** Also write source maps, served beside the bundles. Default: fresh.config.ts's (false). */
  sourceMaps?: boolean;
}

/** What one build made. */
export interface IslandBuildResult {
  manifest: IslandManifest;
  /** Every file the bundler wrote (entries renamed), as served under /_islands/. */
  files: string[];
}

/** Builds all island bundles into `outDir` (by default `_build/islands/`); returns the manifest. */
export async function buildIslands(options: BuildIslandsOptions = {}): Promise<IslandBuildResult> {
  const islandsDir = options.islandsDir ?? framework.islandsDir;
  const outDir = fileURLToPath(options.outDir ?? framework.build.outDir);
  const root = options.root ?? ROOT;
  const config = fileURLToPath(options.config ?? new URL("deno.json", ROOT));
  const routesDir = options.routesDir ?? new URL("routes/", root);
  const bootModule = new URL("lib/islands/boot.ts", ROOT);
  const work = await Deno.makeTempDir({ prefix: "leadline-islands-" });
  try {
    const names = await islandNames(islandsDir);
    const routeIslands = await routeIslandSets({ routesDir, islandsDir });
    const entries = entryPlan(names, routeIslands);
    const out = join(work, "out");
    await Deno.mkdir(out, { recursive: true });
    for (const [entry, islands] of entries) {
      await Deno.writeTextFile(
        join(work, `${entry}.ts`),
        `import { bootIsland } from ${JSON.stringify(bootModule.href)};\n` +
          islands.map((name, i) =>
            `import Island${i} from ${
              JSON.stringify(new URL(names.get(name)!, islandsDir).href)
            };\n`
          ).join("") +
          islands.map((name, i) => `bootIsland(${JSON.stringify(name)}, Island${i});\n`).join(""),
      );
    }
    // Each page's script is bundled on its own, so nothing of it is split into a chunk shared
    // with another entry; the islands' own entries share theirs. The runs write into one folder:
    // files are named by their content's hash, so a name both runs write holds the same bytes.
    const runs = [...entries.keys()].filter((entry) => !names.has(entry)).map((entry) => [entry]);
    const singles = [...entries.keys()].filter((entry) => names.has(entry));
    if (singles.length > 0) runs.push(singles);
    await Promise.all(runs.map(async (run, i) => {
      const runOut = join(work, `run-${i}`);
      await deno([
        "bundle",
        "--quiet",
        "--config",
        config,
        "--platform",
        "browser",
        "--minify",
        "--code-splitting",
        ...(options.sourceMaps ?? framework.build.sourceMaps ? ["--sourcemap", "linked"] : []),
        "--outdir",
        runOut,
        ...run.map((entry) => join(work, `${entry}.ts`)),
      ], "Cannot bundle the islands");
    }));
    for (let i = 0; i < runs.length; i++) await mergeInto(out, join(work, `run-${i}`));
    const manifest: IslandManifest = {
      version: MANIFEST_VERSION,
      islands: {},
      pages: [],
      chunks: {},
      routeIslands,
      sources: {},
    };
    // esbuild names chunks and lazily imported modules by content hash; entries get ours.
    const built: Record<string, string> = {};
    for (const [entry, islands] of entries) {
      const file = built[entry] = await renameEntry(out, entry);
      if (names.has(entry)) manifest.islands[entry] = file;
      else manifest.pages.push({ islands, file });
    }
    for (const [entry, chunks] of Object.entries(await staticChunks(work, out, built))) {
      manifest.chunks[built[entry]] = chunks;
    }
    manifest.sources = await hashSources(
      root,
      await sourceFiles(work, [...entries.keys()], root, config),
    );
    const files = await listFiles(out);
    await writeBuild(outDir, out, files, manifest);
    return { manifest, files };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * What to bundle: entry name -> the islands it boots. The islands a route shows together are one
 * entry (a page loads one script, and gzip compresses the islands as one text); an island shown
 * alone somewhere, or on no route the scan found, has an entry of its own.
 */
function entryPlan(names: Map<string, string>, routeIslands: string[][]): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  const grouped = new Set<string>();
  for (const group of pageGroups(routeIslands)) {
    if (!group.every((name) => names.has(name))) continue;
    entries.set(`Page-${group.join("-")}`, group);
    for (const name of group) grouped.add(name);
  }
  const alone = new Set(routeIslands.filter((set) => set.length === 1).map(([name]) => name));
  for (const name of names.keys()) {
    if (alone.has(name) || !grouped.has(name)) entries.set(name, [name]);
  }
  return entries;
}

/** Moves every file of a bundler run into `out`; a name already there must hold the same bytes. */
async function mergeInto(out: string, runOut: string): Promise<void> {
  for (const file of await listFiles(runOut)) {
    const target = join(out, file);
    const body = await Deno.readFile(join(runOut, file));
    if (existsSync(target)) {
      const there = await Deno.readFile(target);
      if (there.byteLength !== body.byteLength || !there.every((b, i) => b === body[i])) {
        throw new Error(`Cannot bundle the islands: two bundler runs wrote different ${file}`);
      }
      continue;
    }
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeFile(target, body);
  }
}

/** Island name -> file name, for the PascalCase modules in `dir`. */
async function islandNames(dir: URL): Promise<Map<string, string>> {
  const names: [string, string][] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile && /^([A-Z][A-Za-z0-9]*)\.tsx?$/.exec(entry.name);
    if (match) names.push([match[1], entry.name]);
  }
  return new Map(names.sort(([a], [b]) => a.localeCompare(b)));
}

/** Runs a deno subcommand; returns its stdout, or throws `what` with its stderr. */
async function deno(args: string[], what: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (code !== 0) throw new Error(`${what}:\n${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/**
 * Gives the entry `<name>.js` a content-hashed name (nothing imports an entry, so nothing else
 * changes), with its source map if there is one.
 */
async function renameEntry(out: string, name: string): Promise<string> {
  const body = await Deno.readFile(join(out, `${name}.js`));
  const file = `${name}-${(await sha256Hex(body)).slice(0, 10)}.js`;
  let code = new TextDecoder().decode(body);
  if (existsSync(join(out, `${name}.js.map`))) {
    await Deno.rename(join(out, `${name}.js.map`), join(out, `${file}.map`));
    code = code.replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${file}.map\n`);
  }
  await Deno.writeTextFile(join(out, file), code);
  await Deno.remove(join(out, `${name}.js`));
  return file;
}

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

async function moduleGraph(root: string, config: string | null): Promise<GraphModule[]> {
  const args = [
    "info",
    "--json",
    ...(config ? ["--config", config] : ["--no-config", "--no-lock"]),
  ];
  return JSON.parse(await deno([...args, root], "Cannot read the module graph")).modules;
}

/**
 * Island name -> the chunks its entry imports statically, directly or not, read from Deno's own
 * module graph of the output. Lazily imported chunks are left out: preloading them would undo the
 * point of `import()`.
 */
async function staticChunks(
  work: string,
  out: string,
  entries: Record<string, string>,
): Promise<Record<string, string[]>> {
  const chunks: Record<string, string[]> = {};
  if (Object.keys(entries).length === 0) return chunks;
  const graphRoot = join(work, "__entries.js");
  await Deno.writeTextFile(
    graphRoot,
    Object.values(entries).map((file) => `import "./out/${file}";\n`).join(""),
  );
  const modules = new Map((await moduleGraph(graphRoot, null)).map((m) => [m.specifier, m]));
  const outUrl = pathToFileURL(out + sep).href;
  for (const [name, file] of Object.entries(entries)) {
    const start = new URL(file, outUrl).href;
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length > 0) {
      const specifier = queue.shift()!;
      if (seen.has(specifier)) continue;
      seen.add(specifier);
      for (const dep of modules.get(specifier)?.dependencies ?? []) {
        if (!dep.isDynamic && dep.code) queue.push(dep.code.specifier);
      }
    }
    seen.delete(start);
    chunks[name] = [...seen].map((s) => s.slice(outUrl.length)).sort();
  }
  return chunks;
}

/**
 * Every file the island bundles are built from, relative to `root`: the local modules of the
 * entries' graph (islands, lib/islands/boot.ts and whatever they import), the config and lock
 * that resolve npm imports, and this script, whose options shape the output.
 */
async function sourceFiles(
  work: string,
  entries: string[],
  root: URL,
  config: string,
): Promise<string[]> {
  const files = [config, fileURLToPath(import.meta.url)];
  const lock = join(dirname(config), "deno.lock");
  if (existsSync(lock)) files.push(lock);
  if (entries.length > 0) {
    const graphRoot = join(work, "__sources.ts");
    await Deno.writeTextFile(
      graphRoot,
      entries.map((entry) => `import "./${entry}.ts";\n`).join(""),
    );
    for (const module of await moduleGraph(graphRoot, config)) {
      if (!module.specifier.startsWith("file:")) continue;
      const path = fileURLToPath(module.specifier);
      if (!path.startsWith(work + sep)) files.push(path);
    }
  }
  const base = fileURLToPath(root);
  return files.map((file) => relative(base, file).split(sep).join("/"));
}

/** Paths of every file under `dir`, relative to it with `/` separators, sorted. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) files.push(...await listFiles(dir, rel));
    else if (entry.isFile) files.push(rel);
  }
  return files.sort();
}

/**
 * Writes the build beside `outDir`, then swaps it in, so a server starting meanwhile reads the old
 * build or the new one, never half of one: `files/` (served as is), `compressed/` (their gzip and
 * brotli copies) and `manifest.json`.
 */
async function writeBuild(
  outDir: string,
  out: string,
  files: string[],
  manifest: IslandManifest,
): Promise<void> {
  const base = outDir.replace(/[\\/]+$/, "");
  const staging = `${base}.new-${crypto.randomUUID().slice(0, 8)}`;
  const old = `${base}.old-${crypto.randomUUID().slice(0, 8)}`;
  try {
    for (const file of files) {
      const body = await Deno.readFile(join(out, file));
      const target = join(staging, FILES_DIR, file);
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.writeFile(target, body);
      if (!isCompressible(file)) continue;
      for (const [coding, encoded] of Object.entries(precompress(body))) {
        const copy = join(staging, COMPRESSED_DIR, file + ENCODED_SUFFIX[coding as ContentCoding]);
        await Deno.mkdir(dirname(copy), { recursive: true });
        await Deno.writeFile(copy, encoded);
      }
    }
    await Deno.mkdir(staging, { recursive: true });
    await Deno.mkdir(dirname(base), { recursive: true });
    await Deno.writeTextFile(join(staging, "manifest.json"), JSON.stringify(manifest, null, 2));
    const hadOld = existsSync(base);
    if (hadOld) await Deno.rename(base, old);
    await Deno.rename(staging, base);
    if (hadOld) await Deno.remove(old, { recursive: true });
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const started = performance.now();
  const { manifest, files } = await buildIslands();
  const ms = Math.round(performance.now() - started);
  console.log(
    `Built ${Object.keys(manifest.islands).length} island and ${manifest.pages.length} page ` +
      `bundle(s) into ${files.length} ` +
      `file(s) in ${ms} ms`,
  );
}
