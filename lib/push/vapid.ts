// VAPID (RFC 8292): the application server's P-256 key pair and the ES256 JWT a push service checks.

import { fromBase64Url, toBase64Url, utf8 } from "../crypto.ts";

/** The server's VAPID keys as text: what `VAPID_PUBLIC_KEY` and `VAPID_PRIVATE_KEY` hold. */
export interface VapidKeyText {
  /** 65-byte uncompressed P-256 point, base64url: the browser's `applicationServerKey`. */
  publicKey: string;
  /** The 32-byte private scalar `d`, base64url. Secret. */
  privateKey: string;
}

/** Keys ready to sign with. */
export interface VapidKeys {
  publicKey: string;
  signingKey: CryptoKey;
}

/** VAPID key text that is not a P-256 key pair (wrong length, not base64url, halves of two pairs). */
export class VapidKeyError extends Error {
  /** Make the error; the message never holds the private key. */
  constructor(message: string) {
    super(message);
    this.name = "VapidKeyError";
  }
}

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
/** How long a JWT is good for; RFC 8292 allows at most 24 hours, push services ask for less. */
const JWT_LIFETIME_S = 12 * 60 * 60;

/** A new VAPID key pair (done once, on first start, when no keys are configured). */
export async function generateVapidKeys(): Promise<VapidKeyText> {
  const pair = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey: toBase64Url(raw), privateKey: jwk.d! };
}

/**
 * Imports key text for signing and checks that the two halves belong together (a signature made
 * with the private key verifies with the public one). Throws VapidKeyError otherwise.
 */
export async function importVapidKeys(text: VapidKeyText): Promise<VapidKeys> {
  const raw = fromBase64Url(text.publicKey);
  if (raw === null || raw.length !== 65 || raw[0] !== 0x04) {
    throw new VapidKeyError(
      "the public key must be a 65-byte uncompressed P-256 point in base64url (87 characters)",
    );
  }
  const d = fromBase64Url(text.privateKey);
  if (d === null || d.length !== 32) {
    throw new VapidKeyError("the private key must be 32 bytes in base64url (43 characters)");
  }
  let signingKey: CryptoKey;
  let verifyKey: CryptoKey;
  try {
    signingKey = await crypto.subtle.importKey(
      "jwk",
      {
        kty: "EC",
        crv: "P-256",
        x: toBase64Url(raw.slice(1, 33)),
        y: toBase64Url(raw.slice(33, 65)),
        d: toBase64Url(d),
      },
      ECDSA,
      false,
      ["sign"],
    );
    verifyKey = await crypto.subtle.importKey("raw", raw, ECDSA, false, ["verify"]);
  } catch {
    throw new VapidKeyError("the keys are not a valid P-256 key pair");
  }
  const probe = utf8("leadline vapid key check");
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signingKey, probe);
  if (
    !await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, verifyKey, signature, probe)
  ) {
    throw new VapidKeyError("the private key does not belong to the public key");
  }
  return { publicKey: toBase64Url(raw), signingKey };
}

/**
 * The `Authorization` header value for a push to `endpoint`: `vapid t=<JWT>, k=<public key>`,
 * the JWT signed with ES256 (RFC 8292 section 3) and carrying the endpoint's origin as `aud`,
 * an expiry 12 hours ahead and `sub` (a `mailto:` or `https:` contact for the push service).
 */
export async function vapidAuthorization(
  endpoint: string,
  keys: VapidKeys,
  options: { subject: string; nowMs?: number },
): Promise<string> {
  const exp = Math.floor((options.nowMs ?? Date.now()) / 1000) + JWT_LIFETIME_S;
  const header = toBase64Url(utf8(JSON.stringify({ typ: "JWT", alg: "ES256" })));
  const claims = toBase64Url(utf8(JSON.stringify({
    aud: new URL(endpoint).origin,
    exp,
    sub: options.subject,
  })));
  const signingInput = `${header}.${claims}`;
  // WebCrypto's ECDSA signature is r || s (64 bytes), which is JWS's ES256 form as it stands.
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.signingKey,
      utf8(signingInput),
    ),
  );
  return `vapid t=${signingInput}.${toBase64Url(signature)}, k=${keys.publicKey}`;
}
