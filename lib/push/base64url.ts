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
