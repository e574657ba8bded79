import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { IslandBuildError, loadIslandBundles } from "../../lib/islands/bundles.ts";
import { loadStaticAssets, serveStatic } from "../../lib/web/static.ts";
import { createIslandFixture, HEAVY_TEXT } from "../_helpers/island_fixture.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);

Deno.test("[islands build] an island's import() chunk is built and served, but not preloaded", async () => {
  const fixture = await createIslandFixture();
  try {
    const { manifest, files } = await fixture.build();
    assert.deepEqual(Object.keys(manifest.islands), ["Lazy", "Plain"]);
    assert.match(manifest.islands.Lazy, /^Lazy-[0-9a-f]{10}\.js$/);
    const lazyChunk = files.find((f) => /^heavy-\w+\.js$/.test(f));
    assert.ok(lazyChunk, `the lazily imported module has its own chunk: ${files.join(", ")}`);
    assert.equal(
      manifest.chunks[manifest.islands.Lazy].includes(lazyChunk),
      false,
      "a lazy chunk is not preloaded",
    );
    assert.ok(
      manifest.chunks[manifest.islands.Lazy].length > 0,
      "the shared Preact chunk is preloaded",
    );

    const build = await loadIslandBundles(["Lazy", "Plain"], {
      dir: fixture.outDir,
      root: fixture.root,
    });
    assert.deepEqual([...build.files.keys()].sort(), [...files].sort(), "every file is loaded");
    const assets = await loadStaticAssets(STATIC_DIR, build);
    for (const file of files) {
      const req = new Request(`http://localhost/_islands/${file}`, {
        headers: { "accept-encoding": "br" },
      });
      const res = serveStatic(assets, req, `/_islands/${file}`);
      assert.equal(res?.status, 200, file);
      assert.match(res.headers.get("cache-control")!, /immutable/);
      const body = new Uint8Array(await res.arrayBuffer());
      const identity = build.files.get(file)!.body;
      const decoded = res.headers.get("content-encoding") === "br"
        ? new Uint8Array(brotliDecompressSync(body))
        : body;
      assert.deepEqual(decoded, identity, file);
    }
    const heavy = new TextDecoder().decode(build.files.get(lazyChunk)!.body);
    assert.ok(heavy.includes(HEAVY_TEXT));
    const lazyEntry = new TextDecoder().decode(build.files.get(manifest.islands.Lazy)!.body);
    assert.ok(lazyEntry.includes(`import("./${lazyChunk}")`), "the entry imports the served name");
    // A copy is kept only when smaller: the shared chunk (Preact) always is, a tiny entry may not be.
    const shared = build.files.get(manifest.chunks[manifest.islands.Lazy][0])!;
    assert.ok(shared.encoded.gzip && shared.encoded.br, "the shared chunk has both copies");
    for (const [file, { body, encoded }] of build.files) {
      if (encoded.gzip) assert.deepEqual(new Uint8Array(gunzipSync(encoded.gzip)), body, file);
      if (encoded.br) {
        assert.deepEqual(new Uint8Array(brotliDecompressSync(encoded.br)), body, file);
      }
      for (const copy of [encoded.gzip, encoded.br]) {
        if (copy) assert.ok(copy.byteLength < body.byteLength, file);
      }
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("[islands build] source maps, when asked for, are served beside the renamed entry", async () => {
  const fixture = await createIslandFixture();
  try {
    const { manifest, files } = await fixture.build({ sourceMaps: true });
    const entry = manifest.islands.Lazy;
    assert.ok(files.includes(`${entry}.map`), files.join(", "));
    assert.equal(files.includes("Lazy.js.map"), false);
    const build = await loadIslandBundles(["Lazy", "Plain"], {
      dir: fixture.outDir,
      root: fixture.root,
    });
    const code = new TextDecoder().decode(build.files.get(entry)!.body);
    assert.match(code, new RegExp(`//# sourceMappingURL=${entry.replace(".", "\\.")}\\.map\\s*$`));
    for (const file of files.filter((f) => f.endsWith(".map"))) {
      JSON.parse(new TextDecoder().decode(build.files.get(file)!.body));
    }
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("[islands build] a missing or stale build is refused, naming the cause and `deno task build`", async (t) => {
  const fixture = await createIslandFixture();
  const load = () =>
    loadIslandBundles(["Lazy", "Plain"], { dir: fixture.outDir, root: fixture.root });
  const refused = async (cause: RegExp) => {
    await assert.rejects(load, (err: Error) => {
      assert.ok(err instanceof IslandBuildError, String(err));
      assert.match(err.message, cause);
      assert.match(err.message, /run `deno task build`/);
      return true;
    });
  };
  try {
    await t.step("no build yet", () => refused(/manifest\.json is missing/));
    await fixture.build();
    await load();

    await t.step("a lazily imported module changed", async () => {
      const file = fixture.path("islands/lazy/heavy.ts");
      const original = await Deno.readTextFile(file);
      await Deno.writeTextFile(file, original.replace("loaded", "changed"));
      await refused(/islands\/lazy\/heavy\.ts changed/);
      await Deno.writeTextFile(file, original);
      await load();
    });

    await t.step("the import map changed", async () => {
      const file = fixture.path("deno.json");
      const original = await Deno.readTextFile(file);
      await Deno.writeTextFile(file, original + "\n");
      await refused(/deno\.json changed/);
      await Deno.writeTextFile(file, original);
      await load();
    });

    await t.step("an island was added", async () => {
      await Deno.writeTextFile(
        fixture.path("islands/Extra.tsx"),
        "export default function Extra() {\n  return <p>extra</p>;\n}\n",
      );
      await assert.rejects(
        () =>
          loadIslandBundles(["Extra", "Lazy", "Plain"], {
            dir: fixture.outDir,
            root: fixture.root,
          }),
        /the island Extra is new/,
      );
    });

    await t.step("an island was removed", async () => {
      await Deno.remove(fixture.path("islands/Plain.tsx"));
      await assert.rejects(
        () => loadIslandBundles(["Lazy"], { dir: fixture.outDir, root: fixture.root }),
        /islands\/Plain\.tsx is gone/,
      );
    });

    await t.step("a rebuild makes it current again", async () => {
      await fixture.build();
      const build = await loadIslandBundles(["Extra", "Lazy"], {
        dir: fixture.outDir,
        root: fixture.root,
      });
      assert.deepEqual([...build.islands.keys()], ["Extra", "Lazy"]);
    });
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("[islands build] the islands a route renders together are one script, bundled on its own", async () => {
  const fixture = await createIslandFixture();
  try {
    await Deno.mkdir(fixture.path("routes"), { recursive: true });
    await Deno.writeTextFile(
      fixture.path("routes/index.tsx"),
      'import Lazy from "../islands/Lazy.tsx";\nimport Plain from "../islands/Plain.tsx";\n',
    );
    const { manifest, files } = await fixture.build();
    assert.deepEqual(manifest.routeIslands, [["Lazy", "Plain"]]);
    assert.deepEqual(manifest.islands, {}, "neither island is shown alone: no entry of its own");
    assert.equal(manifest.pages.length, 1);
    const page = manifest.pages[0];
    assert.deepEqual(page.islands, ["Lazy", "Plain"]);
    assert.match(page.file, /^Page-Lazy-Plain-[0-9a-f]{10}\.js$/);
    const build = await loadIslandBundles(["Lazy", "Plain"], {
      dir: fixture.outDir,
      root: fixture.root,
    });
    assert.deepEqual(build.pages.map((p) => p.bundle.file), [page.file]);
    const code = new TextDecoder().decode(build.files.get(page.file)!.body);
    assert.ok(code.includes('"Lazy"') && code.includes('"Plain"'), "it boots both islands");
    const lazyChunk = files.find((f) => /^heavy-\w+\.js$/.test(f));
    assert.ok(lazyChunk && code.includes(`import("./${lazyChunk}")`), "the lazy part stays lazy");
    assert.equal(
      build.pages[0].bundle.chunks.includes(lazyChunk),
      false,
      "and is not preloaded",
    );

    // An island built only into the page script is still one of the build's sources.
    assert.ok(manifest.sources["islands/Plain.tsx"], Object.keys(manifest.sources).join(", "));
    const plain = fixture.path("islands/Plain.tsx");
    const original = await Deno.readTextFile(plain);
    await Deno.writeTextFile(plain, original + "\n// edited\n");
    await assert.rejects(
      () => loadIslandBundles(["Lazy", "Plain"], { dir: fixture.outDir, root: fixture.root }),
      /islands\/Plain\.tsx changed/,
    );
    await Deno.writeTextFile(plain, original);

    // A second route showing Plain alone gives Plain an entry of its own as well.
    await Deno.writeTextFile(
      fixture.path("routes/plain.tsx"),
      'import Plain from "../islands/Plain.tsx";\n',
    );
    await assert.rejects(
      () => loadIslandBundles(["Lazy", "Plain"], { dir: fixture.outDir, root: fixture.root }),
      /the islands the routes render changed.*run `deno task build`/,
    );
    const again = await fixture.build();
    assert.deepEqual(Object.keys(again.manifest.islands), ["Plain"]);
    assert.deepEqual(again.manifest.pages.map((p) => p.islands), [["Lazy", "Plain"]]);
  } finally {
    await fixture.cleanup();
  }
});

Deno.test("[islands build] the app's own build is current", async () => {
  // `deno task test` builds first; this fails when the build and the sources disagree.
  await loadIslandBundles(["AddLeadForm", "LeadDashboard", "LiveFragments", "PushSettings"]);
});
