// Bundles every island in islands/ for the browser, content-hashed, with a manifest for the server.
// All islands build together with code splitting, so Preact and shared code load once per page.

const root = new URL("../", import.meta.url);
const islandsDir = new URL("islands/", root);
const outDir = new URL("_build/islands/", root);
const bootModule = new URL("lib/islands/boot.ts", root);

/** What the build writes to `_build/islands/manifest.json`. */
export interface IslandManifest {
  /** Island name -> its boot module's file name. */
  islands: Record<string, string>;
  /** Island name -> the shared chunk files it imports, directly or not. */
  chunks: Record<string, string[]>;
}

async function contentHash(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return [...digest.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The relative chunk files a minified ES module imports. */
function chunkImports(code: string): string[] {
  return [...code.matchAll(/(?:from|import)\s*"\.\/(chunk-[\w-]+\.js)"/g)].map((m) => m[1]);
}

/** Builds all island bundles; returns the manifest. */
export async function buildIslands(): Promise<IslandManifest> {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  const work = await Deno.makeTempDir({ prefix: "leadline-islands-" });
  const manifest: IslandManifest = { islands: {}, chunks: {} };
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(islandsDir)) {
      const match = entry.isFile && /^([A-Z][A-Za-z0-9]*)\.tsx?$/.exec(entry.name);
      if (!match) continue;
      names.push(match[1]);
      await Deno.writeTextFile(
        `${work}/${match[1]}.ts`,
        `import { bootIsland } from ${JSON.stringify(bootModule.href)};\n` +
          `import Island from ${JSON.stringify(new URL(entry.name, islandsDir).href)};\n` +
          `bootIsland(${JSON.stringify(match[1])}, Island);\n`,
      );
    }
    names.sort();
    if (names.length > 0) {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--quiet",
          "--config",
          new URL("deno.json", root).pathname,
          "--platform",
          "browser",
          "--minify",
          "--code-splitting",
          "--outdir",
          `${work}/out`,
          ...names.map((name) => `${work}/${name}.ts`),
        ],
        stdout: "inherit",
        stderr: "piped",
      }).output();
      if (code !== 0) {
        throw new Error(`Cannot bundle the islands:\n${new TextDecoder().decode(stderr)}`);
      }
    }
    // esbuild names chunks by content hash already; entries get ours.
    const chunkCode = new Map<string, string>();
    await Deno.mkdir(`${work}/out`, { recursive: true });
    for await (const file of Deno.readDir(`${work}/out`)) {
      if (!file.name.startsWith("chunk-")) continue;
      const body = await Deno.readFile(`${work}/out/${file.name}`);
      chunkCode.set(file.name, new TextDecoder().decode(body));
      await Deno.writeFile(new URL(file.name, outDir), body);
    }
    for (const name of names) {
      const body = await Deno.readFile(`${work}/out/${name}.js`);
      const file = `${name}-${await contentHash(body)}.js`;
      await Deno.writeFile(new URL(file, outDir), body);
      manifest.islands[name] = file;
      const seen = new Set<string>();
      const queue = chunkImports(new TextDecoder().decode(body));
      while (queue.length > 0) {
        const chunk = queue.shift()!;
        if (seen.has(chunk)) continue;
        seen.add(chunk);
        queue.push(...chunkImports(chunkCode.get(chunk) ?? ""));
      }
      manifest.chunks[name] = [...seen].sort();
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  await Deno.writeTextFile(new URL("manifest.json", outDir), JSON.stringify(manifest, null, 2));
  return manifest;
}

if (import.meta.main) {
  const started = performance.now();
  const manifest = await buildIslands();
  const ms = Math.round(performance.now() - started);
  const chunks = new Set(Object.values(manifest.chunks).flat()).size;
  console.log(
    `Built ${Object.keys(manifest.islands).length} island bundle(s) and ${chunks} shared ` +
      `chunk(s) in ${ms} ms`,
  );
}
