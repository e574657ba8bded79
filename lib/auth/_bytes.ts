// Byte helpers shared by the accounts module: encodings, digests and constant-time comparison.

/** Encodes bytes as standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Decodes standard base64, or returns null when the text is not valid base64. */
export function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.fromBase64(text, { lastChunkHandling: "strict" });
  } catch {
    return null;
  }
}

/** Encodes bytes as base64url without padding (safe in cookies, URLs and KV keys). */
export function toBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Returns `size` cryptographically random bytes. */
export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(size));
}

/** SHA-256 of a UTF-8 string, as base64url; used so KV keys hold digests, not secrets. */
export async function sha256Base64Url(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toBase64Url(new Uint8Array(digest));
}

/**
 * Compares two byte arrays in time that depends only on their lengths, never on
 * where they differ, so a wrong guess leaks nothing about the right one.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  }
  return difference === 0;
}
