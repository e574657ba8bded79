// Content codings for static files: gzip and brotli made once (build or load), chosen per request.

import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** The codings we precompress to, in the order we prefer them at equal quality. */
export type ContentCoding = "br" | "gzip";

/** A file's precompressed bodies; a coding is absent when it would not be smaller. */
export type EncodedBodies = Partial<Record<ContentCoding, Uint8Array<ArrayBuffer>>>;

const COMPRESSIBLE = /\.(?:js|mjs|css|map|json|svg|txt|html|webmanifest)$/;

/** True when a file of this name is text worth compressing (images and audio already are). */
export function isCompressible(name: string): boolean {
  return COMPRESSIBLE.test(name);
}

/** Compresses `body` with brotli (quality 11) and gzip (level 9), keeping what is smaller. */
export function precompress(body: Uint8Array<ArrayBuffer>): EncodedBodies {
  const out: EncodedBodies = {};
  const br = brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
    },
  });
  const gzip = gzipSync(body, { level: constants.Z_BEST_COMPRESSION });
  if (br.byteLength < body.byteLength) out.br = new Uint8Array(br);
  if (gzip.byteLength < body.byteLength) out.gzip = new Uint8Array(gzip);
  return out;
}

/**
 * The coding to answer with, given the request's `Accept-Encoding` and the codings we hold; null
 * means identity. Follows RFC 9110 section 12.5.3: q-values rank, `q=0` refuses, `*` stands for
 * codings not named, identity is acceptable unless refused but ranks below any coding the client
 * names, and a missing header means identity (what every client can read). When even
 * identity is refused we still send it: a body the client may not want beats no body.
 */
export function negotiateEncoding(
  acceptEncoding: string | null,
  available: readonly ContentCoding[],
): ContentCoding | null {
  if (!acceptEncoding || available.length === 0) return null;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (!coding) continue;
    let quality = 1;
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "q") {
        const n = Number(value);
        quality = Number.isFinite(n) ? Math.min(Math.max(n, 0), 1) : 0;
      }
    }
    // A coding named twice keeps its best weight rather than its last.
    const name = coding === "x-gzip" ? "gzip" : coding;
    q.set(name, Math.max(q.get(name) ?? 0, quality));
  }
  const wildcard = q.get("*");
  const weight = (coding: string) => q.get(coding) ?? wildcard ?? 0;
  // Identity is acceptable unless refused, but a client that names codings prefers those.
  const identity = q.get("identity") ?? wildcard ?? Number.MIN_VALUE;
  let best: ContentCoding | null = null;
  let bestQ = 0;
  for (const coding of (["br", "gzip"] as const).filter((c) => available.includes(c))) {
    const w = weight(coding);
    if (w > bestQ) [best, bestQ] = [coding, w];
  }
  // At equal weight the smaller body wins; identity wins only when the client prefers it.
  return best !== null && bestQ >= identity ? best : null;
}
