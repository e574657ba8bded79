// Signing outbound webhooks the way Meta signs ours, with a timestamp against replays (as Stripe
// does): `X-Leadline-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.

import { hmacSha256Hex, timingSafeEqual } from "../crypto.ts";

/** The signature header's name. */
export const SIGNATURE_HEADER = "x-leadline-signature-256";
/** The header with the Unix time (s) the signature covers. */
export const TIMESTAMP_HEADER = "x-leadline-timestamp";

/** The `sha256=<hex>` value for `rawBody` sent at `timestamp` (Unix seconds). */
export async function signWebhook(
  secret: string,
  timestamp: number,
  rawBody: string,
): Promise<string> {
  return `sha256=${await hmacSha256Hex(secret, `${timestamp}.${rawBody}`)}`;
}

/**
 * What a receiver does (and our tests do): recompute the HMAC over `<timestamp>.<raw body>`,
 * compare in constant time, and refuse a timestamp more than `toleranceS` (default 300) away
 * from now, so a captured request cannot be replayed later.
 */
export async function verifyWebhook(
  secret: string,
  headers: { signature: string | null; timestamp: string | null },
  rawBody: string,
  options: { toleranceS?: number; nowMs?: number } = {},
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!headers.signature || !headers.timestamp) return { ok: false, reason: "missing headers" };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: "bad timestamp" };
  const age = Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(headers.timestamp));
  if (age > (options.toleranceS ?? 300)) return { ok: false, reason: "timestamp too old" };
  const expected = await signWebhook(secret, Number(headers.timestamp), rawBody);
  const encoder = new TextEncoder();
  return timingSafeEqual(encoder.encode(expected), encoder.encode(headers.signature))
    ? { ok: true }
    : { ok: false, reason: "signature mismatch" };
}
