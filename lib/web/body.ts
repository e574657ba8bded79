// Reads request bodies with a size limit, stopping as soon as it is passed, so one request cannot
// fill memory: raw bytes (the webhook), text, forms and JSON objects.

import { HttpError } from "./http_error.ts";

/** Largest form or JSON body the routes accept unless they say otherwise: 16 KiB. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** The body is larger than the limit (413); nothing past the limit was read. */
export class BodyTooLargeError extends HttpError {
  /** The limit in bytes. */
  readonly limit: number;

  /** Makes the error for `limit` bytes. */
  constructor(limit: number) {
    super(413, `Cannot read body: it is larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/**
 * Reads `body` into one byte array of at most `limit` bytes. A `Content-Length` over the limit is
 * refused before reading; otherwise the stream is counted chunk by chunk and cancelled the moment it
 * passes the limit (a lying or absent Content-Length cannot make us buffer more). Throws
 * BodyTooLargeError.
 */
export async function readBodyBytes(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  contentLength: string | null = null,
): Promise<Uint8Array> {
  if (contentLength !== null && /^\d+$/.test(contentLength.trim())) {
    if (Number(contentLength.trim()) > limit) {
      await body?.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
  }
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Reads the request's body as UTF-8 text, throwing BodyTooLargeError (413) past `limit` bytes. */
export async function readLimitedText(req: Request, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const bytes = await readBodyBytes(req.body, limit, req.headers.get("content-length"));
  return new TextDecoder().decode(bytes);
}

/** Reads an `application/x-www-form-urlencoded` body whole, repeated fields and all. */
export async function readFormParams(
  req: Request,
  limit = DEFAULT_BODY_LIMIT,
): Promise<URLSearchParams> {
  return new URLSearchParams(await readLimitedText(req, limit));
}

/** Reads an `application/x-www-form-urlencoded` body into its fields (first value wins). */
export async function readForm(req: Request): Promise<Record<string, string>> {
  const params = new URLSearchParams(await readLimitedText(req));
  const fields: Record<string, string> = {};
  for (const [name, value] of params) if (!(name in fields)) fields[name] = value;
  return fields;
}

/** Options of {@linkcode readJsonObject}. */
export interface ReadJsonOptions {
  /** An empty (or blank) body reads as `{}`: for a POST whose every field has a default. */
  emptyIsObject?: boolean;
  /** The most bytes read (default DEFAULT_BODY_LIMIT); a larger body is 413. */
  limit?: number;
}

/** Reads a JSON object body (at most `options.limit` bytes, 413 past it), throwing 400 when it is not one. */
export async function readJsonObject(
  req: Request,
  options: ReadJsonOptions = {},
): Promise<Record<string, unknown>> {
  const text = await readLimitedText(req, options.limit ?? DEFAULT_BODY_LIMIT);
  if (options.emptyIsObject && text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, "Cannot read body: it is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "Cannot read body: expected a JSON object");
  }
  return parsed as Record<string, unknown>;
}
