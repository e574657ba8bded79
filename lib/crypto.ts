// Small WebCrypto helpers: HMAC-SHA256, SHA-256 digests, hex, base64 and base64url, constant-time
// comparison, random bytes and tokens, UTF-8 and joined bytes.

const encoder = new TextEncoder();

/** Encodes bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = "";
  for (const byte of view) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/**
 * Decodes a hex string (either case) into bytes.
 * Returns null when the text is not an even-length hex string, so callers can treat it as malformed.
 */
export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

/** Decodes standard base64 (with padding), or returns null when the text is not valid base64. */
export function base64ToBytes(text: string): Uint8Array | null {
  try {
    return Uint8Array.fromBase64(text, { lastChunkHandling: "strict" });
  } catch {
    return null;
  }
}

/**
 * Returns bytes WebCrypto accepts: views over a SharedArrayBuffer are copied, others pass through.
 */
export function toBufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : new Uint8Array(bytes) as Uint8Array<ArrayBuffer>;
}

/** Imports a raw HMAC-SHA256 key usable for both signing and verifying. */
export function importHmacKey(key: string | Uint8Array): Promise<CryptoKey> {
  const raw = typeof key === "string" ? encoder.encode(key) : toBufferSource(key);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
}

/** Returns the lowercase hex HMAC-SHA256 of `data` keyed by `key` (strings are UTF-8 encoded). */
export async function hmacSha256Hex(
  key: string | Uint8Array,
  data: string | Uint8Array,
): Promise<string> {
  const cryptoKey = await importHmacKey(key);
  const bytes = typeof data === "string" ? encoder.encode(data) : toBufferSource(data);
  return bytesToHex(await crypto.subtle.sign("HMAC", cryptoKey, bytes));
}

/**
 * Compares two byte arrays in time that depends only on their lengths, never on where they
 * differ, so a wrong guess leaks nothing about the right one.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return difference === 0;
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ.
 * Used for shared secrets such as the webhook verify token.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(encoder.encode(a), encoder.encode(b));
}

/** SHA-256 of a UTF-8 string, as unpadded base64url: KV keys hold such digests, not secrets. */
export async function sha256Base64Url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Returns `size` cryptographically random bytes. */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(size));
}

/** Returns `bytes` cryptographically random bytes as unpadded base64url text. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 1) {
    throw new RangeError(`Cannot create random token: byte count must be a positive integer`);
  }
  return randomBytes(bytes).toBase64({ alphabet: "base64url", omitPadding: true });
}

// Base64url (RFC 4648 section 5) without padding: how Web Push writes keys, salts and JWTs.

/** `bytes` as unpadded base64url text. */
export function toBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * The bytes of base64url text (padding optional; `+` and `/` of plain base64 are taken too, as
 * some clients send keys that way), or null when the text is not base64.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (typeof text !== "string" || !/^[A-Za-z0-9\-_+/]*={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.fromBase64(text.replaceAll("+", "-").replaceAll("/", "_"), {
      alphabet: "base64url",
      lastChunkHandling: "loose",
    }) as Uint8Array<ArrayBuffer>;
  } catch {
    return null;
  }
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
}

/** The bytes of `parts` one after the other. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
