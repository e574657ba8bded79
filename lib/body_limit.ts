// Reads a request body's raw bytes up to a limit, stopping as soon as the limit is passed.

/** The body is larger than the limit; nothing past the limit was read. */
export class BodyTooLargeError extends Error {
  /** The limit in bytes. */
  readonly limit: number;

  /** Makes the error for `limit` bytes. */
  constructor(limit: number) {
    super(`Cannot read body: it is larger than ${limit} bytes`);
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
