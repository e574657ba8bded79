// Reads small request bodies (forms, JSON) with a size limit, so one request cannot fill memory.

import { HttpError } from "../web/http_error.ts";

/** Largest form or JSON body the account routes accept: 16 KiB. */
export const ACCOUNT_BODY_LIMIT = 16 * 1024;

/** Reads the body as text, throwing 413 past `limit` bytes. */
export async function readLimitedText(req: Request, limit = ACCOUNT_BODY_LIMIT): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Reads an `application/x-www-form-urlencoded` body into its fields (first value wins). */
export async function readForm(req: Request): Promise<Record<string, string>> {
  const params = new URLSearchParams(await readLimitedText(req));
  const fields: Record<string, string> = {};
  for (const [name, value] of params) if (!(name in fields)) fields[name] = value;
  return fields;
}

/** Reads a JSON object body, throwing 400 when it is not one. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown>> {
  const text = await readLimitedText(req);
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

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Cannot read body: it is larger than ${limit} bytes`);
}
