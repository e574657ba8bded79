// Static assets held in memory: static/ and every island build file, each with gzip and brotli
// copies, answered with per-coding ETags, content negotiation and honest cache headers.

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IslandBuild } from "../islands/bundles.ts";
import { BUNDLE_PREFIX } from "../islands/bundles.ts";
import {
  type ContentCoding,
  type EncodedBodies,
  isCompressible,
  negotiateEncoding,
  precompress,
} from "./encoding.ts";

/** One file served from memory. */
export interface StaticAsset {
  body: Uint8Array<ArrayBuffer>;
  /** Its gzip and brotli copies; a coding is absent when it would not be smaller. */
  encoded: EncodedBodies;
  contentType: string;
  /** Hash of `body`: the ETag's opaque part, and the `v` that makes a /static/ URL immutable. */
  hash: string;
  /** True when the path itself is content-addressed (island bundles): cacheable forever. */
  contentAddressed: boolean;
}

const TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  webmanifest: "application/manifest+json",
  mp3: "audio/mpeg",
  wav: "audio/wav",
};

/** Cache-Control of a URL whose bytes can never change. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** Cache-Control of any other static URL: keep it, but ask (a cheap 304) before each use. */
export const REVALIDATE = "public, no-cache";

/** Static files by decoded URL path, plus the content-hashed URL each one should be linked with. */
export interface StaticAssets {
  files: Map<string, StaticAsset>;
  /** `/static/styles.css` -> `/static/styles.css?v=<hash>`; unknown paths come back unchanged. */
  url(path: string): string;
}

async function hashOf(body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// static/ is compressed when loaded (it is not built, and nothing may be written at run time);
// tests build many apps in one process, so each distinct file is compressed once.
const compressedByHash = new Map<string, EncodedBodies>();

function contentTypeOf(path: string): string {
  return TYPES[path.split(".").pop() ?? ""] ?? "application/octet-stream";
}

/**
 * Reads static/ (a file URL or a path) into memory with compressed copies, and adds every file of
 * the island build under /_islands/.
 */
export async function loadStaticAssets(
  dir: URL | string,
  build: IslandBuild,
): Promise<StaticAssets> {
  // A path, not URL resolution: `new URL(name, dir)` mangles names holding `#`, `?` or `%`.
  const base = typeof dir === "string" ? dir : fileURLToPath(dir);
  const files = new Map<string, StaticAsset>();
  const hashed = new Map<string, string>();
  async function walk(sub: string[]) {
    for await (const entry of Deno.readDir(join(base, ...sub))) {
      const rel = [...sub, entry.name];
      if (entry.isDirectory) await walk(rel);
      if (!entry.isFile) continue;
      const body = await Deno.readFile(join(base, ...rel));
      const hash = await hashOf(body);
      let encoded = compressedByHash.get(hash);
      if (!encoded) {
        encoded = isCompressible(entry.name) ? precompress(body) : {};
        compressedByHash.set(hash, encoded);
      }
      const path = `/static/${rel.join("/")}`;
      files.set(path, {
        body,
        encoded,
        hash,
        contentType: contentTypeOf(entry.name),
        contentAddressed: false,
      });
      const href = `/static/${rel.map(encodeURIComponent).join("/")}`;
      hashed.set(path, `${href}?v=${hash}`);
    }
  }
  await walk([]);
  for (const [path, file] of build.files) {
    files.set(BUNDLE_PREFIX + path, {
      body: file.body,
      encoded: file.encoded,
      hash: await hashOf(file.body),
      contentType: contentTypeOf(path),
      contentAddressed: true,
    });
  }
  return { files, url: (path) => hashed.get(path) ?? path };
}

/** URL prefixes of static files and island bundles: public, and a miss there is a plain 404. */
export const STATIC_PREFIXES: readonly string[] = ["/static/", BUNDLE_PREFIX];

/** True when `path` lies under one of the {@linkcode STATIC_PREFIXES}. */
export function isStaticPath(path: string): boolean {
  return STATIC_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * Answers a request for a static asset, or returns null when the path is not one. `path` is the
 * URL's path as it arrives (percent-encoded).
 */
export function serveStatic(assets: StaticAssets, req: Request, path: string): Response | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const asset = assets.files.get(decoded);
  if (!asset) return null;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method Not Allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  // A `v` for other bytes comes from a page of another deployment: these bytes must not be kept
  // forever under that URL.
  const immutable = asset.contentAddressed ||
    new URL(req.url).searchParams.get("v") === asset.hash;
  const codings = Object.keys(asset.encoded) as ContentCoding[];
  const coding = negotiateEncoding(req.headers.get("accept-encoding"), codings);
  const body = coding ? asset.encoded[coding]! : asset.body;
  // Each coding has its own ETag, so no cache hands gzip bytes to a client that asked for br.
  const etag = `"${asset.hash}${coding ? `-${coding}` : ""}"`;
  const headers = new Headers({ etag, "cache-control": immutable ? IMMUTABLE : REVALIDATE });
  if (codings.length > 0) headers.set("vary", "Accept-Encoding");
  if (ifNoneMatchHits(req.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-type", asset.contentType);
  if (coding) headers.set("content-encoding", coding);
  // Set by hand: a HEAD answer has no body for the server to count.
  headers.set("content-length", String(body.byteLength));
  return new Response(req.method === "HEAD" ? null : body, { headers });
}

/**
 * True when `If-None-Match` names `etag` or is `*`. The comparison is weak (RFC 9110 section
 * 13.1.2), as GET requires: proxies that compress on the fly hand back our tags as `W/"…"`.
 */
function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  for (const match of header.matchAll(/(?:W\/)?("[^"]*")/g)) {
    if (match[1] === etag) return true;
  }
  return false;
}
