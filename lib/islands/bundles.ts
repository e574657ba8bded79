// Island bundles on the server side: the build's manifest, checked against the sources, and every
// file the bundler wrote, held in memory with its precompressed copies for /_islands/.

import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  COMPRESSED_DIR,
  ENCODED_SUFFIX,
  FILES_DIR,
  type IslandManifest,
  staleReason,
} from "./manifest.ts";
import { routeIslandSets } from "./page_groups.ts";

/** A file the build wrote, held in memory. */
export interface BundleFile {
  body: Uint8Array<ArrayBuffer>;
  /** Its gzip and brotli copies, made at build time; a coding is absent when not smaller. */
  encoded: { br?: Uint8Array<ArrayBuffer>; gzip?: Uint8Array<ArrayBuffer> };
}

/** One built entry (an island's own, or a page's islands together) and the chunks to preload. */
export interface IslandBundle {
  /** Content-hashed file name of the entry, e.g. `LeadDashboard-1a2b3c4d5e.js`. */
  file: string;
  /** Chunks the entry imports statically, e.g. `chunk-SOOF27AB.js`: modulepreload hints only. */
  chunks: string[];
}

/** A loaded build: what each island needs, and every file the bundler wrote. */
export interface IslandBuild {
  /** The islands that have an entry of their own. */
  islands: Map<string, IslandBundle>;
  /** The islands a route shows together, each set one entry. */
  pages: { islands: string[]; bundle: IslandBundle }[];
  /** Every file of the build by its path under {@linkcode BUNDLE_PREFIX}, lazy chunks included. */
  files: Map<string, BundleFile>;
}

/** The project root, against which the manifest's source paths are written. */
export const PROJECT_ROOT = new URL("../../", import.meta.url);

/** Where `deno task build` writes the island bundles and their manifest. */
export const BUNDLE_DIR = new URL("_build/islands/", PROJECT_ROOT);

/** URL path prefix the bundles are served under. */
export const BUNDLE_PREFIX = "/_islands/";

/** The build is missing, unreadable or older than its sources; the message says what to run. */
export class IslandBuildError extends Error {
  constructor(why: string) {
    super(
      `Cannot load the island bundles: ${why}; run \`deno task build\` ` +
        "(or `deno task dev`, which rebuilds on every change)",
    );
    this.name = "IslandBuildError";
  }
}

/** Where the bundles come from; tests point these at a fixture build. */
export interface LoadIslandBundlesOptions {
  /** The build's folder. Default: {@linkcode BUNDLE_DIR}. */
  dir?: URL;
  /** The root the manifest's source paths are relative to. Default: the project root. */
  root?: URL;
  /** The routes, whose imports say which islands share a page. Default: `root`'s routes/. */
  routesDir?: URL;
  /** The islands. Default: `root`'s islands/. */
  islandsDir?: URL;
}

/**
 * Reads the build into memory. Refuses (throws {@linkcode IslandBuildError}) when the manifest is
 * missing, lacks one of `islandNames`, or any source it was built from has changed since: serving
 * an old bundle beside newer server code renders islands that hydrate wrongly or not at all.
 * It never rebuilds: nothing may write to the file system at run time (Deno Deploy's is read-only),
 * and parallel test processes would race on the same folder.
 */
export async function loadIslandBundles(
  islandNames: string[],
  options: LoadIslandBundlesOptions = {},
): Promise<IslandBuild> {
  const dir = fileURLToPath(options.dir ?? BUNDLE_DIR);
  const shown = relative(Deno.cwd(), dir) || ".";
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, "manifest.json"));
  } catch {
    throw new IslandBuildError(`${join(shown, "manifest.json")} is missing`);
  }
  let manifest: IslandManifest;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new IslandBuildError(`${join(shown, "manifest.json")} is not valid JSON`);
  }
  const root = options.root ?? PROJECT_ROOT;
  const routeIslands = await routeIslandSets({
    routesDir: options.routesDir ?? new URL("routes/", root),
    islandsDir: options.islandsDir ?? new URL("islands/", root),
  });
  const stale = await staleReason(manifest, root, islandNames, routeIslands);
  if (stale) throw new IslandBuildError(`the build in ${shown} is out of date: ${stale}`);

  const files = new Map<string, BundleFile>();
  for (const path of await listFiles(join(dir, FILES_DIR))) {
    const encoded: BundleFile["encoded"] = {};
    for (const coding of ["br", "gzip"] as const) {
      const copy = join(dir, COMPRESSED_DIR, path + ENCODED_SUFFIX[coding]);
      encoded[coding] = await Deno.readFile(copy).catch(() => undefined);
    }
    if (!encoded.br) delete encoded.br;
    if (!encoded.gzip) delete encoded.gzip;
    files.set(path, { body: await Deno.readFile(join(dir, FILES_DIR, path)), encoded });
  }
  const bundleOf = (file: string): IslandBundle => {
    const bundle = { file, chunks: manifest.chunks[file] ?? [] };
    for (const name of [bundle.file, ...bundle.chunks]) {
      if (!files.has(name)) {
        throw new IslandBuildError(`the manifest names ${name}, which is not in ${shown}`);
      }
    }
    return bundle;
  };
  const islands = new Map<string, IslandBundle>();
  for (const name of islandNames) {
    if (manifest.islands[name]) islands.set(name, bundleOf(manifest.islands[name]));
  }
  const pages = manifest.pages.map((page) => ({
    islands: page.islands,
    bundle: bundleOf(page.file),
  }));
  return { islands, pages, files };
}

/** Paths of every file under `dir`, relative to it with `/` separators. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(dir, prefix))) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) files.push(...await listFiles(dir, rel));
      else if (entry.isFile) files.push(rel);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound) || prefix) throw err;
  }
  return files;
}

/** What a page's island scripts weigh on the wire, per coding. */
export interface ScriptBytes {
  /** The entries and preloaded chunks counted, each once. */
  files: string[];
  identity: number;
  gzip: number;
  br: number;
}

/**
 * The entries a page that rendered `islandNames` loads: the smallest page entry holding all of
 * them (a route's islands, built as one script), else for each island its own entry or the
 * smallest page entry holding it. Booting an island the page did not render does nothing.
 */
export function scriptsFor(build: IslandBuild, islandNames: string[]): IslandBundle[] {
  const smallest = (wanted: string[]) =>
    build.pages
      .filter((page) => wanted.every((name) => page.islands.includes(name)))
      .sort((a, b) => a.islands.length - b.islands.length)[0]?.bundle;
  if (islandNames.length === 0) return [];
  const whole = islandNames.length > 1 ? smallest(islandNames) : undefined;
  if (whole) return [whole];
  const bundles = islandNames.flatMap((name) => {
    const bundle = build.islands.get(name) ?? smallest([name]);
    return bundle ? [bundle] : [];
  });
  return [...new Set(bundles)];
}

/**
 * Bytes of the scripts a page with `islandNames` loads before it is interactive: the entries
 * {@linkcode scriptsFor} picks and their static chunks, each file once, as served (precompressed
 * copies where they exist). Lazily imported chunks are not counted: they load only when used.
 */
export function pageScriptBytes(build: IslandBuild, islandNames: string[]): ScriptBytes {
  const files = [
    ...new Set(scriptsFor(build, islandNames).flatMap((bundle) => [bundle.file, ...bundle.chunks])),
  ].sort();
  const bytes = { files, identity: 0, gzip: 0, br: 0 };
  for (const path of files) {
    const file = build.files.get(path)!;
    bytes.identity += file.body.byteLength;
    bytes.gzip += (file.encoded.gzip ?? file.body).byteLength;
    bytes.br += (file.encoded.br ?? file.body).byteLength;
  }
  return bytes;
}
