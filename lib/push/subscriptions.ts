// Push subscriptions: one record per device a team member switched notifications on for.

import { bytesToHex, fromBase64Url } from "../crypto.ts";
import { DomainError } from "../errors.ts";
import { commitAtomic } from "../kv_commit.ts";
import { isPrivateHost } from "../outbound/destinations.ts";
import {
  PUSH_SUBSCRIPTIONS_PREFIX,
  pushSubscriptionKey,
  pushSubscriptionsPrefix,
  pushSubscriptionUserKey,
} from "./keys.ts";

/** One device's subscription, as stored. */
export interface PushSubscriptionRecord {
  /** A hash of the endpoint: the same device subscribing again replaces its record. */
  id: string;
  userId: string;
  /** The push service URL the browser gave (FCM, Mozilla, Apple, ...). Secret-ish: it is a capability. */
  endpoint: string;
  /** The browser's ECDH public key and auth secret, base64url. */
  p256dh: string;
  auth: string;
  /** ISO 8601. */
  createdAt: string;
  /** A short description of the device (from its User-Agent), so the user can tell them apart. */
  device: string | null;
  /** ISO 8601 of the last message the push service took, or null. */
  lastSuccessAt: string | null;
}

/** What a browser sends: `PushSubscription.toJSON()`. */
export interface PushSubscriptionInput {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** A subscription the browser sent is not one we can use (invalid input); the message says why. */
export class PushSubscriptionError extends DomainError {
  /** Make the error; `message` is safe to show. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/** Devices one user may have at once; a new one past it replaces the oldest. */
export const MAX_DEVICES_PER_USER = 10;

/**
 * Checks `PushSubscription.toJSON()` as the browser sent it: an https endpoint on a public host
 * (with `allowLocal`, as in demo mode, also a loopback or private one, plain http on loopback), a
 * 65-byte P-256 `p256dh`, a 16-byte `auth`. Throws PushSubscriptionError.
 */
export function parsePushSubscription(
  body: Record<string, unknown>,
  options: { allowLocal?: boolean } = {},
): PushSubscriptionInput {
  const endpoint = body.endpoint;
  if (typeof endpoint !== "string" || endpoint.length > 2_000) {
    throw new PushSubscriptionError("The subscription needs its endpoint URL.");
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PushSubscriptionError("The subscription's endpoint is not a URL.");
  }
  // Push services are public https hosts. A loopback one (a push service stand-in) only in demo
  // mode: elsewhere the server would POST wherever a signed-in user pointed it on its network.
  const local = isPrivateHost(url.hostname);
  if (local && !options.allowLocal) {
    throw new PushSubscriptionError("The subscription's endpoint must be a public push service.");
  }
  const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new PushSubscriptionError("The subscription's endpoint must be an https URL.");
  }
  if (url.username || url.password) {
    throw new PushSubscriptionError("The subscription's endpoint must not carry credentials.");
  }
  const keys = body.keys as Record<string, unknown> | undefined;
  const p256dh = typeof keys?.p256dh === "string" ? fromBase64Url(keys.p256dh) : null;
  const auth = typeof keys?.auth === "string" ? fromBase64Url(keys.auth) : null;
  if (p256dh === null || p256dh.length !== 65 || p256dh[0] !== 0x04) {
    throw new PushSubscriptionError("The subscription's keys.p256dh is not a P-256 public key.");
  }
  if (auth === null || auth.length !== 16) {
    throw new PushSubscriptionError("The subscription's keys.auth is not 16 bytes.");
  }
  return {
    endpoint,
    p256dh: keys!.p256dh as string,
    auth: keys!.auth as string,
  };
}

/** The id of the subscription with `endpoint`. */
export async function pushSubscriptionId(endpoint: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpoint));
  return bytesToHex(digest).slice(0, 32);
}

/**
 * Stores `input` as a device of `userId`. The same endpoint again replaces its record (taken from
 * another user if it was theirs: one device, one user). Past MAX_DEVICES_PER_USER the oldest goes.
 */
export async function savePushSubscription(
  kv: Deno.Kv,
  userId: string,
  input: PushSubscriptionInput,
  options: { device?: string | null; now?: Date } = {},
): Promise<PushSubscriptionRecord> {
  const id = await pushSubscriptionId(input.endpoint);
  const record: PushSubscriptionRecord = {
    id,
    userId,
    endpoint: input.endpoint,
    p256dh: input.p256dh,
    auth: input.auth,
    createdAt: (options.now ?? new Date()).toISOString(),
    device: options.device?.slice(0, 120) ?? null,
    lastSuccessAt: null,
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    const owner = await kv.get<string>(pushSubscriptionUserKey(id));
    const op = kv.atomic().check(owner)
      .set(pushSubscriptionUserKey(id), userId)
      .set(pushSubscriptionKey(userId, id), record);
    if (owner.value !== null && owner.value !== userId) {
      op.delete(pushSubscriptionKey(owner.value, id));
    }
    const devices = (await listPushSubscriptions(kv, userId)).filter((sub) => sub.id !== id);
    for (const old of devices.slice(0, Math.max(0, devices.length - MAX_DEVICES_PER_USER + 1))) {
      op.delete(pushSubscriptionKey(userId, old.id)).delete(pushSubscriptionUserKey(old.id));
    }
    if ((await commitAtomic(op)).ok) return record;
  }
  throw new Error("Cannot save the push subscription: it kept changing for 10 attempts");
}

/** `userId`'s devices, oldest first. */
export async function listPushSubscriptions(
  kv: Deno.Kv,
  userId: string,
): Promise<PushSubscriptionRecord[]> {
  const out: PushSubscriptionRecord[] = [];
  for await (
    const entry of kv.list<PushSubscriptionRecord>({ prefix: pushSubscriptionsPrefix(userId) })
  ) {
    out.push(entry.value);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The ids of every user who has at least one device. */
export async function listUsersWithPush(kv: Deno.Kv): Promise<string[]> {
  const users = new Set<string>();
  for await (const entry of kv.list({ prefix: PUSH_SUBSCRIPTIONS_PREFIX })) {
    users.add(entry.key[1] as string);
  }
  return [...users];
}

/** Removes `userId`'s device with `endpoint` (switched off on it); true when there was one. */
export async function removePushSubscription(
  kv: Deno.Kv,
  userId: string,
  endpoint: string,
): Promise<boolean> {
  return removePushSubscriptionById(kv, userId, await pushSubscriptionId(endpoint));
}

/** Removes one device by id (the push service said it is gone); true when there was one. */
export async function removePushSubscriptionById(
  kv: Deno.Kv,
  userId: string,
  id: string,
): Promise<boolean> {
  const entry = await kv.get(pushSubscriptionKey(userId, id));
  if (entry.versionstamp === null) return false;
  const owner = await kv.get<string>(pushSubscriptionUserKey(id));
  const op = kv.atomic().check(entry).delete(pushSubscriptionKey(userId, id));
  if (owner.value === userId) op.check(owner).delete(pushSubscriptionUserKey(id));
  return (await commitAtomic(op)).ok;
}

/** Records that the push service took a message for this device. */
export async function markPushSuccess(
  kv: Deno.Kv,
  record: PushSubscriptionRecord,
  at: Date,
): Promise<void> {
  const entry = await kv.get<PushSubscriptionRecord>(pushSubscriptionKey(record.userId, record.id));
  if (entry.value === null) return;
  await commitAtomic(
    kv.atomic().check(entry).set(entry.key, { ...entry.value, lastSuccessAt: at.toISOString() }),
  );
}

/** A short name for a device from its User-Agent: "Chrome on Android", "Safari on iPhone". */
export function deviceName(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
    ? "Firefox"
    : /Chrom(e|ium)\//.test(userAgent)
    ? "Chrome"
    : /Safari\//.test(userAgent)
    ? "Safari"
    : "A browser";
  const system = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
    ? "iPhone or iPad"
    : /Mac OS X/.test(userAgent)
    ? "macOS"
    : /Windows/.test(userAgent)
    ? "Windows"
    : /Linux/.test(userAgent)
    ? "Linux"
    : null;
  return system ? `${browser} on ${system}` : browser;
}
