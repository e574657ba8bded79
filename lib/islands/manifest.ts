// The island build's manifest: what was built, from which source files, and whether it is current.

import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** Bumped when the manifest or the build's layout changes, so an older build reads as stale. */
export const MANIFEST_VERSION = 3;

/** Folder of the build (under `_build/islands/`) holding every file the bundler wrote, served as is. */
export const FILES_DIR = "files";

/** Folder of the build holding gzip (`.gz`) and brotli (`.br`) copies of the files in `files/`. */
export const COMPRESSED_DIR = "compressed";

/** File suffix of each precompressed copy in `compressed/`. */
export const ENCODED_SUFFIX = { br: ".br", gzip: ".gz" } as const;

/** What `deno task build` writes to `_build/islands/manifest.json`. */
export interface IslandManifest {
  version: number;
  /**
   * Island name -> the file name (content-hashed, under `files/`) of its own entry module, for the
   * islands shown alone on some page or on none the build found.
   */
  islands: Record<string, string>;
  /** The islands a route shows together, each set built as one entry that boots them all. */
  pages: { islands: string[]; file: string }[];
  /**
   * Entry file -> the chunks it imports statically, directly or not. Only for
   * `<link rel="modulepreload">` hints: the server serves every file the bundler wrote.
   */
  chunks: Record<string, string[]>;
  /** The islands each route renders, as the build read them from the routes' imports. */
  routeIslands: string[][];
  /** The files the bundles were built from: path relative to the project root -> SHA-256 (hex). */
  sources: Record<string, string>;
}

/** SHA-256 of `body` in hex. */
export async function sha256Hex(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Hashes `files` (paths relative to `root`); the result is what a manifest's `sources` holds. */
export async function hashSources(root: URL, files: string[]): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const file of [...new Set(files)].sort()) {
    sources[file] = await sha256Hex(await Deno.readFile(join(fileURLToPath(root), file)));
  }
  return sources;
}

/**
 * Why the build in `manifest` no longer matches the sources under `root`, or null when it does.
 * Every file the bundles import is listed, so a new local import shows up as a change to the file
 * that gained it, a removed island as its file being gone, a new island as a name the manifest
 * lacks.
 */
export async function staleReason(
  manifest: IslandManifest,
  root: URL,
  islandNames: string[],
  /** The islands each route renders now (routeIslandSets), when the routes are at hand. */
  routeIslands?: string[][],
): Promise<string | null> {
  if (manifest.version !== MANIFEST_VERSION) {
    return `it was made by another version of the build (${manifest.version ?? "none"})`;
  }
  for (const name of islandNames) {
    const built = manifest.islands[name] ?? manifest.pages.find((p) => p.islands.includes(name));
    if (!built) return `the island ${name} is new`;
  }
  if (routeIslands && JSON.stringify(routeIslands) !== JSON.stringify(manifest.routeIslands)) {
    return "the islands the routes render changed";
  }
  for (const [file, hash] of Object.entries(manifest.sources)) {
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await Deno.readFile(join(fileURLToPath(root), file));
    } catch {
      return `${file} is gone`;
    }
    if (await sha256Hex(body) !== hash) return `${file} changed`;
  }
  return null;
}
