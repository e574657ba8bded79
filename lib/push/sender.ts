// Sends one Web Push message to one device: encrypted for it, signed with our VAPID key.

import { fromBase64Url, utf8 } from "../crypto.ts";
import { encryptPushMessage } from "./encryption.ts";
import type { PushSubscriptionRecord } from "./subscriptions.ts";
import { vapidAuthorization, type VapidKeys } from "./vapid.ts";

/** What a notification says; the service worker shows it (see lib/push/service_worker.js). */
export interface PushMessage {
  title: string;
  body: string;
  /** Our own path to open when it is tapped, e.g. `/leads/<id>`. */
  url: string;
  /** Notifications with one tag replace each other (one per lead). */
  tag: string;
  /** Whether a replacement alerts again (sound, vibration). */
  renotify?: boolean;
}

/** How the push service answered. */
export interface PushSendOutcome {
  /**
   * `sent` (2xx), `gone` (404 or 410: the subscription expired or was revoked, remove it),
   * `retry` (429, 5xx, no answer: try again later), `refused` (any other 4xx: trying again
   * cannot help; e.g. our VAPID key changed since the device subscribed).
   */
  kind: "sent" | "gone" | "retry" | "refused";
  status: number | null;
  /** From `Retry-After`, when the push service said. */
  retryAfterMs: number | null;
  /** Why, for logs; holds the push service's host, never the endpoint path (a capability). */
  detail: string;
}

/** How to send. */
export interface PushSendOptions {
  keys: VapidKeys;
  /** The VAPID `sub` claim: `mailto:` or `https:`. */
  subject: string;
  /** How long the push service keeps an undelivered message (s). */
  ttlSeconds: number;
  urgency?: "very-low" | "low" | "normal" | "high";
  /** A later message with the same topic replaces one not yet delivered (at most 32 base64url chars). */
  topic?: string;
  /** Default 10,000 ms. */
  timeoutMs?: number;
}

/** Encrypts `message` for `subscription` and POSTs it to its push service. Never throws for HTTP. */
export async function sendPushMessage(
  subscription: PushSubscriptionRecord,
  message: PushMessage,
  options: PushSendOptions,
): Promise<PushSendOutcome> {
  const host = new URL(subscription.endpoint).host;
  const body = await encryptPushMessage(utf8(JSON.stringify(message)), {
    p256dh: fromBase64Url(subscription.p256dh)!,
    auth: fromBase64Url(subscription.auth)!,
  });
  const headers: Record<string, string> = {
    authorization: await vapidAuthorization(subscription.endpoint, options.keys, {
      subject: options.subject,
    }),
    "content-encoding": "aes128gcm",
    "content-type": "application/octet-stream",
    ttl: String(options.ttlSeconds),
    urgency: options.urgency ?? "normal",
  };
  if (options.topic) headers.topic = options.topic;
  let response: Response;
  try {
    response = await fetch(subscription.endpoint, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      kind: "retry",
      status: null,
      retryAfterMs: null,
      detail: timedOut ? `${host} did not answer in time` : `${host} could not be reached`,
    };
  }
  const status = response.status;
  const retryAfter = response.headers.get("retry-after");
  const retryAfterMs = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
  const detail = `${host} answered ${status}`;
  if (status >= 200 && status < 300) return { kind: "sent", status, retryAfterMs: null, detail };
  if (status === 404 || status === 410) return { kind: "gone", status, retryAfterMs: null, detail };
  if (status === 429 || status >= 500) return { kind: "retry", status, retryAfterMs, detail };
  return { kind: "refused", status, retryAfterMs: null, detail };
}
