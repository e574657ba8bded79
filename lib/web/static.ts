// Static assets held in memory: files of static/ and the island bundles, with cache headers.

import type { IslandBundle } from "../islands/bundles.ts";
import { BUNDLE_PREFIX } from "../islands/bundles.ts";

/** One file served from memory. */
export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};

/** Static files by URL path, plus the content-hashed URL each one should be linked with. */
export interface StaticAssets {
  files: Map<string, StaticAsset>;
  /** `/static/styles.css` -> `/static/styles.css?v=<hash>`; unknown paths come back unchanged. */
  url(path: string): string;
}

async function etagOf(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads static/ into memory and adds the island bundles under /_islands/. */
export async function loadStaticAssets(
  dir: URL,
  bundles: Map<string, IslandBundle>,
): Promise<StaticAssets> {
  const files = new Map<string, StaticAsset>();
  const hashed = new Map<string, string>();
  async function walk(sub: string) {
    for await (const entry of Deno.readDir(new URL(sub, dir))) {
      const rel = sub + entry.name;
      if (entry.isDirectory) await walk(rel + "/");
      if (!entry.isFile) continue;
      const body = await Deno.readFile(new URL(rel, dir));
      const etag = await etagOf(body);
      const ext = rel.split(".").pop() ?? "";
      files.set(`/static/${rel}`, {
        body,
        etag,
        contentType: TYPES[ext] ?? "application/octet-stream",
        cacheControl: "public, max-age=300",
      });
      hashed.set(`/static/${rel}`, `/static/${rel}?v=${etag}`);
    }
  }
  await walk("");
  for (const bundle of bundles.values()) {
    for (const part of [bundle, ...bundle.chunks]) {
      files.set(BUNDLE_PREFIX + part.file, {
        body: part.body,
        etag: await etagOf(part.body),
        contentType: TYPES.js,
        cacheControl: "public, max-age=31536000, immutable",
      });
    }
  }
  return { files, url: (path) => hashed.get(path) ?? path };
}

/** URL prefixes of static files and island bundles: public, and a miss there is a plain 404. */
export const STATIC_PREFIXES: readonly string[] = ["/static/", BUNDLE_PREFIX];

/** True when `path` lies under one of the {@linkcode STATIC_PREFIXES}. */
export function isStaticPath(path: string): boolean {
  return STATIC_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** Answers a request for a static asset, or returns null when the path is not one. */
export function serveStatic(assets: StaticAssets, req: Request, path: string): Response | null {
  const asset = assets.files.get(path);
  if (!asset) return null;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const immutable = new URL(req.url).searchParams.has("v");
  const headers = {
    "content-type": asset.contentType,
    etag: `"${asset.etag}"`,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : asset.cacheControl,
  };
  if (req.headers.get("if-none-match") === `"${asset.etag}"`) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(req.method === "HEAD" ? null : asset.body, { headers });
}
