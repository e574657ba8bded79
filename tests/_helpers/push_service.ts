// A push service stand-in on 127.0.0.1: takes Web Push requests like FCM or Mozilla's service,
// checks the VAPID JWT with the key it names, and decrypts each message with the subscription's
// private key (the browser's side of RFC 8291), so tests see exactly what a phone would get.

import { fromBase64Url, toBase64Url, utf8 } from "../../lib/crypto.ts";
import { deriveContentKeys } from "../../lib/push/encryption.ts";
import { DEFAULT_WAIT_MS } from "./wait.ts";

/** A browser's side of a subscription: what it gives the server, and its private key. */
export interface TestSubscription {
  endpoint: string;
  /** What `PushSubscription.toJSON()` gives: the keys in base64url. */
  keys: { p256dh: string; auth: string };
  /** The user agent's ECDH private key (never leaves the "browser"). */
  privateKey: CryptoKey;
}

/** One message the stand-in took. */
export interface ReceivedPush {
  /** The subscription's id in the endpoint path. */
  id: string;
  /** When it arrived (performance.now(), ms). */
  at: number;
  headers: Headers;
  /** The decrypted JSON payload. */
  payload: Record<string, unknown>;
  /** The JWT's claims, after its signature verified with the `k` of the header. */
  jwt: { aud: string; exp: number; sub: string };
  /** The `k` of the Authorization header: the server's public key. */
  vapidKey: string;
  /** The status the stand-in answered. */
  status: number;
}

/** A running stand-in. */
export interface PushServiceStandIn {
  url: string;
  /** Makes a subscription whose endpoint is on this stand-in. */
  subscribe(): Promise<TestSubscription>;
  /** Messages that arrived (and decrypted), in order. */
  received: ReceivedPush[];
  /** Requests refused because they did not verify or decrypt, with the reason. */
  refused: { id: string; reason: string }[];
  /** The next answers for subscription `id` (default 201 each time). */
  script(id: string, statuses: number[]): void;
  /** Answers every request for `id` with `status` from now on (e.g. 410 for an expired one). */
  answerAlways(id: string, status: number): void;
  /** Resolves once `count` messages arrived, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

const P256 = { name: "ECDH", namedCurve: "P-256" } as const;

/** Decrypts an aes128gcm push body with the subscription's private key and auth secret. */
export async function decryptPushBody(
  body: Uint8Array,
  subscription: { privateKey: CryptoKey; keys: { p256dh: string; auth: string } },
): Promise<Uint8Array> {
  if (body.length < 86) throw new Error("body shorter than the aes128gcm header");
  const salt = body.slice(0, 16);
  const recordSize = new DataView(body.buffer, body.byteOffset).getUint32(16);
  const idLength = body[20];
  if (idLength !== 65) throw new Error(`key id is ${idLength} bytes, not a P-256 key`);
  const senderPublic = body.slice(21, 21 + idLength);
  const ciphertext = body.slice(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error("more than one record");
  const senderKey = await crypto.subtle.importKey("raw", senderPublic, P256, false, []);
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "ECDH", public: senderKey },
      subscription.privateKey,
      256,
    ),
  );
  const { cek, nonce } = await deriveContentKeys({
    ecdhSecret,
    auth: fromBase64Url(subscription.keys.auth)!,
    salt,
    receiverPublic: fromBase64Url(subscription.keys.p256dh)!,
    senderPublic,
  });
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const record = new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, ciphertext),
  );
  // Padding is zeros after the delimiter; the last record's delimiter is 0x02.
  let end = record.length - 1;
  while (end >= 0 && record[end] === 0) end--;
  if (record[end] !== 0x02) throw new Error("no last-record delimiter");
  return record.slice(0, end);
}

/**
 * Verifies a `vapid t=<jwt>, k=<key>` header: the JWT's ES256 signature with key `k`, its
 * header, and returns the claims and the key. Throws with the reason otherwise.
 */
export async function verifyVapidHeader(
  authorization: string | null,
): Promise<{ claims: { aud: string; exp: number; sub: string }; key: string }> {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(authorization ?? "");
  if (!match) throw new Error(`Authorization is not "vapid t=…, k=…": ${authorization}`);
  const [header, claims, signature] = match[1].split(".");
  const publicKey = await crypto.subtle.importKey(
    "raw",
    fromBase64Url(match[2])!,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    publicKey,
    fromBase64Url(signature)!,
    utf8(`${header}.${claims}`),
  );
  if (!ok) throw new Error("the JWT signature does not verify with k");
  const head = JSON.parse(new TextDecoder().decode(fromBase64Url(header)!));
  if (head.alg !== "ES256" || head.typ !== "JWT") throw new Error("JWT header is not ES256");
  return { claims: JSON.parse(new TextDecoder().decode(fromBase64Url(claims)!)), key: match[2] };
}

/** Makes a browser-side subscription (a fresh P-256 key pair and auth secret) for `endpoint`. */
export async function makeSubscription(endpoint: string): Promise<TestSubscription> {
  const pair = await crypto.subtle.generateKey(P256, true, ["deriveBits"]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return {
    endpoint,
    keys: {
      p256dh: toBase64Url(raw),
      auth: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
    },
    privateKey: pair.privateKey,
  };
}

/** Starts the stand-in on a free loopback port. */
export function startPushService(): PushServiceStandIn {
  const subscriptions = new Map<string, TestSubscription>();
  const scripted = new Map<string, number[]>();
  const always = new Map<string, number>();
  const received: ReceivedPush[] = [];
  const refused: { id: string; reason: string }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let next = 0;

  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const id = url.pathname.replace(/^\/push\//, "");
    const body = new Uint8Array(await req.arrayBuffer());
    const at = performance.now();
    const subscription = subscriptions.get(id);
    if (req.method !== "POST" || !subscription) return new Response(null, { status: 404 });
    const status = always.get(id) ?? scripted.get(id)?.shift() ?? 201;
    try {
      if (req.headers.get("content-encoding") !== "aes128gcm") {
        throw new Error(`Content-Encoding is ${req.headers.get("content-encoding")}`);
      }
      if (!/^\d+$/.test(req.headers.get("ttl") ?? "")) throw new Error("no TTL header");
      const vapid = await verifyVapidHeader(req.headers.get("authorization"));
      if (vapid.claims.aud !== url.origin) throw new Error(`aud ${vapid.claims.aud}`);
      const plaintext = await decryptPushBody(body, subscription);
      received.push({
        id,
        at,
        headers: req.headers,
        payload: JSON.parse(new TextDecoder().decode(plaintext)),
        jwt: vapid.claims,
        vapidKey: vapid.key,
        status,
      });
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    } catch (error) {
      refused.push({ id, reason: (error as Error).message });
      return new Response("bad request", { status: 400 });
    }
    return new Response(null, { status, headers: status === 201 ? { location: `/m/${at}` } : {} });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;

  return {
    url,
    received,
    refused,
    async subscribe() {
      const id = `sub${++next}-${crypto.randomUUID().slice(0, 8)}`;
      const subscription = await makeSubscription(`${url}/push/${id}`);
      subscriptions.set(id, subscription);
      return subscription;
    },
    script(id, statuses) {
      scripted.set(id, [...statuses]);
    },
    answerAlways(id, status) {
      always.set(id, status);
    },
    waitFor(count, timeoutMs = DEFAULT_WAIT_MS) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(
            new Error(
              `push stand-in: ${received.length} of ${count} messages within ${timeoutMs} ms` +
                (refused.length ? `; refused: ${JSON.stringify(refused)}` : ""),
            ),
          );
        }, timeoutMs);
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received.slice());
          },
        };
        waiters.push(waiter);
      });
    },
    close: () => server.shutdown(),
  };
}

/** The id a stand-in endpoint ends with. */
export function subscriptionIdOf(endpoint: string): string {
  return new URL(endpoint).pathname.replace(/^\/push\//, "");
}
