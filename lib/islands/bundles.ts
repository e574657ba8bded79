// Island bundles on the server side: the build's manifest and the bytes served under /_islands/.

/** One built island bundle. */
export interface IslandBundle {
  /** Content-hashed file name, e.g. `ConnectionBadge-1a2b3c4d5e.js`. */
  file: string;
  body: Uint8Array<ArrayBuffer>;
}

/** Where `deno task build` writes the island bundles and their manifest. */
export const BUNDLE_DIR = new URL("../../_build/islands/", import.meta.url);

/** URL path prefix the bundles are served under. */
export const BUNDLE_PREFIX = "/_islands/";

/** Reads every bundle named in the build manifest; fails loudly when an island was not built. */
export async function loadIslandBundles(
  islandNames: string[],
  dir: URL = BUNDLE_DIR,
): Promise<Map<string, IslandBundle>> {
  let manifest: Record<string, string>;
  try {
    manifest = JSON.parse(await Deno.readTextFile(new URL("manifest.json", dir)));
  } catch {
    throw new Error(
      "Cannot load island bundles: _build/islands/manifest.json is missing; run `deno task build`",
    );
  }
  const bundles = new Map<string, IslandBundle>();
  for (const name of islandNames) {
    const file = manifest[name];
    if (!file) {
      throw new Error(`Cannot load island ${name}: it is not built yet; run \`deno task build\``);
    }
    bundles.set(name, { file, body: await Deno.readFile(new URL(file, dir)) });
  }
  return bundles;
}
