// Web Push crypto against the RFC: RFC 8291's worked example byte for byte, round trips through
// the receiving side, and VAPID JWTs (RFC 8292) that verify with the server's public key.

import assert from "node:assert/strict";
import { fromBase64Url, toBase64Url, utf8 } from "../../lib/crypto.ts";
import { encryptPushMessage, MAX_PUSH_PLAINTEXT_BYTES } from "../../lib/push/encryption.ts";
import {
  generateVapidKeys,
  importVapidKeys,
  vapidAuthorization,
  VapidKeyError,
} from "../../lib/push/vapid.ts";
import { decryptPushBody, makeSubscription, verifyVapidHeader } from "../_helpers/push_service.ts";

// RFC 8291 section 5 (and appendix A): the example's inputs and the resulting message.
const RFC8291 = {
  plaintext: "When I grow up, I want to be a watermelon",
  asPublic:
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
  uaPublic:
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
  body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInm" +
    "YWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSx" +
    "sj_Qulcy4a-fN",
};

function b64(text: string): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64Url(text);
  if (bytes === null) throw new Error(`not base64url: ${text}`);
  return bytes;
}

/** A P-256 ECDH key pair from its raw public point and private scalar. */
async function ecdhPair(publicKey: string, privateKey: string): Promise<CryptoKeyPair> {
  const raw = b64(publicKey);
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: toBase64Url(raw.slice(1, 33)),
    y: toBase64Url(raw.slice(33, 65)),
  };
  const algorithm = { name: "ECDH", namedCurve: "P-256" };
  return {
    publicKey: await crypto.subtle.importKey("jwk", jwk, algorithm, true, []),
    privateKey: await crypto.subtle.importKey(
      "jwk",
      { ...jwk, d: privateKey },
      algorithm,
      false,
      ["deriveBits"],
    ),
  };
}

Deno.test("[push] RFC 8291 section 5: the example's keys and salt give the example's message", async () => {
  const body = await encryptPushMessage(utf8(RFC8291.plaintext), {
    p256dh: b64(RFC8291.uaPublic),
    auth: b64(RFC8291.auth),
  }, {
    salt: b64(RFC8291.salt),
    senderKeys: await ecdhPair(RFC8291.asPublic, RFC8291.asPrivate),
  });
  assert.equal(toBase64Url(body), RFC8291.body);

  // And the receiving side (the test's own RFC 8291 decryption) reads the example back.
  const ua = await ecdhPair(RFC8291.uaPublic, RFC8291.uaPrivate);
  const plaintext = await decryptPushBody(b64(RFC8291.body), {
    privateKey: ua.privateKey,
    keys: { p256dh: RFC8291.uaPublic, auth: RFC8291.auth },
  });
  assert.equal(new TextDecoder().decode(plaintext), RFC8291.plaintext);
});

Deno.test("[push] a message for a fresh subscription decrypts with its private key, never twice alike", async () => {
  const subscription = await makeSubscription("http://127.0.0.1:1/push/x");
  const keys = { p256dh: b64(subscription.keys.p256dh), auth: b64(subscription.keys.auth) };
  const message = utf8(JSON.stringify({ title: "New lead: Zoë Ünal", body: "Test drive · Form" }));
  const first = await encryptPushMessage(message, keys);
  const second = await encryptPushMessage(message, keys);
  assert.notDeepEqual(first, second, "a new salt and key pair for every message");
  for (const body of [first, second]) {
    assert.equal(new DataView(body.buffer).getUint32(16), 4096, "record size");
    assert.equal(body[20], 65, "key id: the sender's public key");
    assert.deepEqual(await decryptPushBody(body, subscription), message);
  }
  // Another subscription's key cannot read it.
  const other = await makeSubscription("http://127.0.0.1:1/push/y");
  await assert.rejects(() => decryptPushBody(first, { ...other, keys: subscription.keys }));

  // The largest message that fits one push (4,096 bytes of body) encrypts; one byte more does not.
  const largest = await encryptPushMessage(new Uint8Array(MAX_PUSH_PLAINTEXT_BYTES), keys);
  assert.equal(largest.length, 4096);
  await assert.rejects(
    () => encryptPushMessage(new Uint8Array(MAX_PUSH_PLAINTEXT_BYTES + 1), keys),
    RangeError,
  );
  await assert.rejects(
    () => encryptPushMessage(message, { p256dh: keys.p256dh.slice(1), auth: keys.auth }),
    /p256dh/,
  );
});

Deno.test("[push] VAPID: the JWT is ES256, verifies with the public key and names the push service", async () => {
  const text = await generateVapidKeys();
  assert.equal(b64(text.publicKey).length, 65);
  assert.equal(b64(text.privateKey).length, 32);
  const keys = await importVapidKeys(text);
  const now = Date.parse("2026-05-01T12:00:00Z");
  const header = await vapidAuthorization("https://fcm.googleapis.com/fcm/send/abc:def", keys, {
    subject: "mailto:ops@example.com",
    nowMs: now,
  });
  const { claims, key } = await verifyVapidHeader(header);
  assert.equal(key, text.publicKey);
  assert.deepEqual(claims, {
    aud: "https://fcm.googleapis.com",
    exp: now / 1000 + 12 * 3600,
    sub: "mailto:ops@example.com",
  });
  // A JWT with one changed claim no longer verifies.
  const [t, k] = header.split(", ");
  const [h, c, s] = t.slice("vapid t=".length).split(".");
  const forged = toBase64Url(utf8(JSON.stringify({ ...claims, aud: "https://evil.example" })));
  assert.notEqual(forged, c);
  await assert.rejects(() => verifyVapidHeader(`vapid t=${h}.${forged}.${s}, ${k}`), /verify/);
});

Deno.test("[push] VAPID keys: halves of two pairs, or keys of the wrong size, are refused", async () => {
  const a = await generateVapidKeys();
  const b = await generateVapidKeys();
  await assert.rejects(
    () => importVapidKeys({ publicKey: a.publicKey, privateKey: b.privateKey }),
    (error: Error) =>
      error instanceof VapidKeyError && /does not belong/.test(error.message) &&
      !error.message.includes(b.privateKey),
  );
  await assert.rejects(
    () => importVapidKeys({ publicKey: a.publicKey.slice(2), privateKey: a.privateKey }),
    /65-byte/,
  );
  await assert.rejects(
    () => importVapidKeys({ publicKey: a.publicKey, privateKey: "not*base64" }),
    /32 bytes/,
  );
});
