import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { IslandBuild } from "../../lib/islands/bundles.ts";
import { negotiateEncoding, precompress } from "../../lib/web/encoding.ts";
import {
  IMMUTABLE,
  loadStaticAssets,
  REVALIDATE,
  serveStatic,
  type StaticAssets,
} from "../../lib/web/static.ts";

const STATIC_DIR = new URL("../../static/", import.meta.url);
const CHUNK = "chunk-TEST1234.js";
const chunkBody = new TextEncoder().encode(
  Array.from({ length: 200 }, (_, i) => `export const v${i} = "value ${i}";`).join("\n"),
);

/** A one-chunk island build, as loadIslandBundles returns it. */
function fakeBuild(): IslandBuild {
  return {
    islands: new Map(),
    pages: [],
    files: new Map([[CHUNK, { body: chunkBody, encoded: precompress(chunkBody) }]]),
  };
}

/** static/ copied into a temp folder whose name has a space, plus files with awkward names. */
async function spacedStaticDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const parent = await Deno.makeTempDir({ prefix: "leadline static " });
  const dir = join(parent, "static files");
  await Deno.mkdir(join(dir, "sub dir"), { recursive: true });
  for await (const entry of Deno.readDir(STATIC_DIR)) {
    if (entry.isFile) await Deno.copyFile(new URL(entry.name, STATIC_DIR), join(dir, entry.name));
  }
  await Deno.writeTextFile(join(dir, "my styles.css"), "body { color: rebeccapurple; }\n");
  await Deno.writeTextFile(join(dir, "sub dir", "notes #1.txt"), "hash and space\n");
  return { dir, cleanup: () => Deno.remove(parent, { recursive: true }) };
}

function get(assets: StaticAssets, url: string, headers: HeadersInit = {}, method = "GET") {
  const req = new Request(new URL(url, "http://localhost"), { method, headers });
  return serveStatic(assets, req, new URL(req.url).pathname);
}

Deno.test("[static] a static folder whose path has spaces loads, and odd file names are served", async () => {
  const { dir, cleanup } = await spacedStaticDir();
  try {
    for (const from of [pathToFileURL(dir + "/"), dir]) {
      const assets = await loadStaticAssets(from, fakeBuild());
      const href = assets.url("/static/my styles.css");
      assert.match(href, /^\/static\/my%20styles\.css\?v=[0-9a-f]{12}$/);
      const res = get(assets, href)!;
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/css; charset=utf-8");
      assert.equal(await res.text(), "body { color: rebeccapurple; }\n");

      const notes = get(assets, assets.url("/static/sub dir/notes #1.txt"))!;
      assert.equal(notes.status, 200);
      assert.equal(await notes.text(), "hash and space\n");
      const css = get(assets, assets.url("/static/styles.css"))!;
      assert.equal(css.status, 200);
      await css.body?.cancel();
    }
  } finally {
    await cleanup();
  }
});

Deno.test("[static] If-None-Match: a weak tag, a list of tags and * all answer 304", async () => {
  const assets = await loadStaticAssets(STATIC_DIR, fakeBuild());
  for (const path of ["/static/styles.css", `/_islands/${CHUNK}`]) {
    for (const encoding of ["identity", "gzip", "br"]) {
      const first = get(assets, path, { "accept-encoding": encoding })!;
      const etag = first.headers.get("etag")!;
      assert.match(etag, /^"[^"]+"$/);
      await first.body?.cancel();
      for (
        const ifNoneMatch of [
          etag,
          `W/${etag}`,
          `"nope", W/${etag}`,
          `"a", "b",${etag}`,
          "*",
        ]
      ) {
        const res = get(assets, path, {
          "accept-encoding": encoding,
          "if-none-match": ifNoneMatch,
        })!;
        assert.equal(res.status, 304, `${path} ${encoding} If-None-Match: ${ifNoneMatch}`);
        assert.equal(res.headers.get("etag"), etag);
        assert.equal(res.headers.get("vary"), "Accept-Encoding");
        assert.ok(res.headers.get("cache-control"));
        assert.equal(res.body, null);
      }
      const miss = get(assets, path, {
        "accept-encoding": encoding,
        "if-none-match": `"other", W/"different"`,
      })!;
      assert.equal(miss.status, 200);
      await miss.body?.cancel();
    }
  }
});

Deno.test("[static] immutable only for a content-addressed URL: a matching v, or an island file", async () => {
  const assets = await loadStaticAssets(STATIC_DIR, fakeBuild());
  const versioned = assets.url("/static/styles.css");
  const hash = new URL(versioned, "http://x").searchParams.get("v")!;
  const cases: [string, string][] = [
    [versioned, IMMUTABLE],
    ["/static/styles.css", REVALIDATE],
    ["/static/styles.css?v=0123456789ab", REVALIDATE],
    [`/static/styles.css?v=${hash}x`, REVALIDATE],
    [`/_islands/${CHUNK}`, IMMUTABLE],
  ];
  for (const [url, cacheControl] of cases) {
    const res = get(assets, url)!;
    assert.equal(res.status, 200, url);
    assert.equal(res.headers.get("cache-control"), cacheControl, url);
    await res.body?.cancel();
  }
  assert.doesNotMatch(REVALIDATE, /immutable|max-age=[1-9]/);
});

Deno.test("[static] Accept-Encoding picks br, gzip or identity by q-value; bodies decompress to the file", async () => {
  const assets = await loadStaticAssets(STATIC_DIR, fakeBuild());
  const css = await Deno.readFile(new URL("styles.css", STATIC_DIR));
  const cases: [string | null, string | null][] = [
    [null, null],
    ["", null],
    ["identity", null],
    ["gzip, deflate, br", "br"],
    ["gzip, deflate", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["gzip;q=0.2, identity;q=0.5", null],
    ["GZIP", "gzip"],
    ["x-gzip", "gzip"],
    ["*", "br"],
    ["*;q=0, gzip", "gzip"],
    ["br;q=0, gzip;q=0", null],
    ["identity;q=0, br;q=0, gzip;q=0", null],
    ["deflate", null],
  ];
  const etags = new Map<string | null, string>();
  const files: [string, Uint8Array][] = [["/static/styles.css", css], [
    `/_islands/${CHUNK}`,
    chunkBody,
  ]];
  for (const [path, identity] of files) {
    for (const [acceptEncoding, expected] of cases) {
      const headers: Record<string, string> = {};
      if (acceptEncoding !== null) headers["accept-encoding"] = acceptEncoding;
      const res = get(assets, path, headers)!;
      const label = `${path} Accept-Encoding: ${acceptEncoding}`;
      assert.equal(res.status, 200, label);
      assert.equal(res.headers.get("content-encoding"), expected, label);
      assert.equal(res.headers.get("vary"), "Accept-Encoding", label);
      const body = new Uint8Array(await res.arrayBuffer());
      assert.equal(Number(res.headers.get("content-length")), body.byteLength, label);
      const decoded = expected === "br"
        ? brotliDecompressSync(body)
        : expected === "gzip"
        ? gunzipSync(body)
        : body;
      assert.deepEqual(new Uint8Array(decoded), identity, label);
      if (expected !== null) assert.ok(body.byteLength < identity.byteLength, label);
      if (path === "/static/styles.css") etags.set(expected, res.headers.get("etag")!);
    }
  }
  assert.equal(new Set(etags.values()).size, 3, "identity, gzip and br each have their own ETag");
});

Deno.test("[static] HEAD sends GET's headers, with the encoded length, and no body", async () => {
  const assets = await loadStaticAssets(STATIC_DIR, fakeBuild());
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      serveStatic(assets, req, new URL(req.url).pathname) ?? new Response(null, { status: 404 }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    for (const encoding of ["identity", "gzip", "br"]) {
      const url = base + assets.url("/static/styles.css");
      // fetch() would decode gzip and br itself; the raw bytes are what is checked here.
      const headers = { "accept-encoding": encoding };
      const getRes = await fetch(url, { headers });
      const getLength = getRes.headers.get("content-length");
      await getRes.body?.cancel();
      const head = await fetch(url, { method: "HEAD", headers });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), getLength, encoding);
      assert.equal(head.headers.get("etag"), getRes.headers.get("etag"));
      assert.equal(head.headers.get("content-encoding"), getRes.headers.get("content-encoding"));
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const notModified = await fetch(url, {
        method: "HEAD",
        headers: { ...headers, "if-none-match": `W/${getRes.headers.get("etag")}` },
      });
      assert.equal(notModified.status, 304);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("[static] other methods get 405 with Allow; unknown and malformed paths fall through", async () => {
  const assets = await loadStaticAssets(STATIC_DIR, fakeBuild());
  const res = get(assets, "/static/styles.css", {}, "POST")!;
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "GET, HEAD");
  assert.equal(get(assets, "/static/nope.css"), null);
  assert.equal(serveStatic(assets, new Request("http://localhost/x"), "/static/%E0%A4%A"), null);
});

Deno.test("[static] negotiateEncoding offers only the codings a file has", () => {
  assert.equal(negotiateEncoding("br, gzip", ["gzip"]), "gzip");
  assert.equal(negotiateEncoding("br", ["gzip"]), null);
  assert.equal(negotiateEncoding("gzip, br", []), null);
  assert.equal(negotiateEncoding("br;q=1, gzip;q=1", ["br", "gzip"]), "br");
  assert.equal(negotiateEncoding("gzip;q=1, br;q=0.9", ["br", "gzip"]), "gzip");
  assert.equal(negotiateEncoding("br;q=nonsense, gzip", ["br", "gzip"]), "gzip");
});
