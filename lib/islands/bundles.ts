// Island bundles on the server side: the build's manifest and the bytes served under /_islands/.

/** A file the build wrote, served from memory. */
export interface BundleFile {
  /** Content-hashed file name, e.g. `LeadDashboard-1a2b3c4d5e.js` or `chunk-SOOF27AB.js`. */
  file: string;
  body: Uint8Array<ArrayBuffer>;
}

/** One built island: its boot module and the shared chunks that module imports. */
export interface IslandBundle extends BundleFile {
  chunks: BundleFile[];
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
  let manifest: { islands?: Record<string, string>; chunks?: Record<string, string[]> };
  try {
    manifest = JSON.parse(await Deno.readTextFile(new URL("manifest.json", dir)));
  } catch {
    throw new Error(
      "Cannot load island bundles: _build/islands/manifest.json is missing; run `deno task build`",
    );
  }
  const read = async (file: string): Promise<BundleFile> => ({
    file,
    body: await Deno.readFile(new URL(file, dir)),
  });
  const bundles = new Map<string, IslandBundle>();
  for (const name of islandNames) {
    const file = manifest.islands?.[name];
    if (!file) {
      throw new Error(`Cannot load island ${name}: it is not built yet; run \`deno task build\``);
    }
    const chunks = await Promise.all((manifest.chunks?.[name] ?? []).map(read));
    bundles.set(name, { ...await read(file), chunks });
  }
  return bundles;
}

/** Bytes an island costs a browser gzip-compressed: its boot module plus its shared chunks. */
export async function islandGzipSize(bundle: IslandBundle): Promise<number> {
  let total = 0;
  for (const part of [bundle, ...bundle.chunks]) {
    const gzipped = new Blob([part.body]).stream().pipeThrough(new CompressionStream("gzip"));
    total += (await new Response(gzipped).arrayBuffer()).byteLength;
  }
  return total;
}
