// Bundles every island in islands/ for the browser, content-hashed, with a manifest for the server.

const root = new URL("../", import.meta.url);
const islandsDir = new URL("islands/", root);
const outDir = new URL("_build/islands/", root);
const bootModule = new URL("lib/islands/boot.ts", root);

/** Builds all island bundles; returns the manifest (island name -> file name). */
export async function buildIslands(): Promise<Record<string, string>> {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(outDir, { recursive: true });
  const entriesDir = await Deno.makeTempDir({ prefix: "leadline-islands-" });
  const manifest: Record<string, string> = {};
  try {
    for await (const entry of Deno.readDir(islandsDir)) {
      const match = entry.isFile && /^([A-Z][A-Za-z0-9]*)\.tsx?$/.exec(entry.name);
      if (!match) continue;
      const name = match[1];
      const entryFile = `${entriesDir}/${name}.ts`;
      await Deno.writeTextFile(
        entryFile,
        `import { bootIsland } from ${JSON.stringify(bootModule.href)};\n` +
          `import Island from ${JSON.stringify(new URL(entry.name, islandsDir).href)};\n` +
          `bootIsland(${JSON.stringify(name)}, Island);\n`,
      );
      const tmpOut = `${entriesDir}/${name}.js`;
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "bundle",
          "--quiet",
          "--config",
          new URL("deno.json", root).pathname,
          "--platform",
          "browser",
          "--minify",
          "-o",
          tmpOut,
          entryFile,
        ],
        stdout: "inherit",
        stderr: "piped",
      }).output();
      if (code !== 0) {
        throw new Error(`Cannot bundle island ${name}:\n${new TextDecoder().decode(stderr)}`);
      }
      const body = await Deno.readFile(tmpOut);
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
      const hash = [...digest.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
      const file = `${name}-${hash}.js`;
      await Deno.writeFile(new URL(file, outDir), body);
      manifest[name] = file;
    }
  } finally {
    await Deno.remove(entriesDir, { recursive: true });
  }
  await Deno.writeTextFile(new URL("manifest.json", outDir), JSON.stringify(manifest, null, 2));
  return manifest;
}

if (import.meta.main) {
  const started = performance.now();
  const manifest = await buildIslands();
  const ms = Math.round(performance.now() - started);
  console.log(`Built ${Object.keys(manifest).length} island bundle(s) in ${ms} ms`);
}
