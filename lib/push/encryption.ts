// Web Push message encryption (RFC 8291) in the aes128gcm content coding (RFC 8188), with WebCrypto.

import { concatBytes, utf8 } from "../crypto.ts";

/** A subscription's keys as the browser gives them: its P-256 public key and its auth secret. */
export interface PushSubscriptionKeys {
  /** The user agent's ECDH public key, 65 bytes uncompressed (`keys.p256dh`). */
  p256dh: Uint8Array;
  /** The 16-byte authentication secret (`keys.auth`). */
  auth: Uint8Array;
}

/** Fixed inputs for tests (RFC 8291 section 5's example); real messages take fresh ones. */
export interface EncryptOptions {
  /** 16 random bytes; a new salt for every message. */
  salt?: Uint8Array;
  /** The application server's one-off ECDH key pair; a new one for every message. */
  senderKeys?: CryptoKeyPair;
}

/** Bytes of the aes128gcm header: salt (16), record size (4), key id length (1), key id (65). */
export const PUSH_HEADER_BYTES = 86;
/** The record size we declare: one record holds the whole message. */
const RECORD_SIZE = 4096;
/** Push services take at most 4,096 bytes of body: header, padding delimiter and GCM tag leave this. */
export const MAX_PUSH_PLAINTEXT_BYTES = RECORD_SIZE - PUSH_HEADER_BYTES - 1 - 16;

const P256 = { name: "ECDH", namedCurve: "P-256" } as const;

/** A new one-off ECDH P-256 key pair for one message. */
export function generateSenderKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(P256, true, ["deriveBits"]) as Promise<CryptoKeyPair>;
}

/**
 * Encrypts `plaintext` for one subscription (RFC 8291): an ECDH secret between a one-off key pair
 * and the subscription's key, mixed with its auth secret by HKDF into the content encryption key
 * and nonce, then AES-128-GCM over the plaintext and the 0x02 delimiter of a last record. Returns
 * the whole request body (header and ciphertext). Throws RangeError for a plaintext too long for
 * one push message, TypeError for keys of the wrong size.
 */
export async function encryptPushMessage(
  plaintext: Uint8Array,
  keys: PushSubscriptionKeys,
  options: EncryptOptions = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (plaintext.length > MAX_PUSH_PLAINTEXT_BYTES) {
    throw new RangeError(
      `Cannot encrypt the push message: it is ${plaintext.length} bytes, past the ` +
        `${MAX_PUSH_PLAINTEXT_BYTES} one push message holds`,
    );
  }
  if (keys.p256dh.length !== 65 || keys.p256dh[0] !== 0x04) {
    throw new TypeError("Cannot encrypt the push message: p256dh is not a 65-byte P-256 key");
  }
  if (keys.auth.length !== 16) {
    throw new TypeError("Cannot encrypt the push message: auth is not 16 bytes");
  }
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const sender = options.senderKeys ?? await generateSenderKeys();
  const senderPublic = new Uint8Array(await crypto.subtle.exportKey("raw", sender.publicKey));
  const receiverKey = await crypto.subtle.importKey("raw", copy(keys.p256dh), P256, false, []);
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: receiverKey }, sender.privateKey, 256),
  );
  const { cek, nonce } = await deriveContentKeys({
    ecdhSecret,
    auth: keys.auth,
    salt,
    receiverPublic: keys.p256dh,
    senderPublic,
  });
  const record = concatBytes(plaintext, new Uint8Array([0x02]));
  const aesKey = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["encrypt"]);
  const ciphertext = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, aesKey, record),
  );
  const header = new Uint8Array(PUSH_HEADER_BYTES);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, RECORD_SIZE);
  header[20] = senderPublic.length;
  header.set(senderPublic, 21);
  return concatBytes(header, ciphertext);
}

/** What both sides feed HKDF with (RFC 8291 section 3.4). */
export interface ContentKeyInputs {
  ecdhSecret: Uint8Array;
  auth: Uint8Array;
  salt: Uint8Array;
  /** ua_public: the subscription's key. */
  receiverPublic: Uint8Array;
  /** as_public: the one-off key in the message header. */
  senderPublic: Uint8Array;
}

/**
 * The content encryption key (16 bytes) and nonce (12 bytes) of a message: IKM is HKDF of the
 * ECDH secret salted with the auth secret over "WebPush: info" and both public keys; CEK and
 * nonce are HKDF of IKM salted with the message's salt (RFC 8291 section 3.4, RFC 8188 2.2-2.3).
 * Exported because the receiving side (a test's push service stand-in) derives the same.
 */
export async function deriveContentKeys(
  inputs: ContentKeyInputs,
): Promise<{ cek: Uint8Array<ArrayBuffer>; nonce: Uint8Array<ArrayBuffer> }> {
  const keyInfo = concatBytes(
    utf8("WebPush: info\0"),
    inputs.receiverPublic,
    inputs.senderPublic,
  );
  const ikm = await hkdf(inputs.auth, inputs.ecdhSecret, keyInfo, 32);
  const cek = await hkdf(inputs.salt, ikm, utf8("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(inputs.salt, ikm, utf8("Content-Encoding: nonce\0"), 12);
  return { cek, nonce };
}

async function hkdf(
  salt: Uint8Array,
  secret: Uint8Array,
  info: Uint8Array,
  bytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", copy(secret), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: copy(salt), info: copy(info) },
    key,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
