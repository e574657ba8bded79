// Meta's webhook: GET answers the subscription check, POST ingests signed lead deliveries.

import type { RateLimitStatus } from "../lib/auth/rate_limiter.ts";
import { constantTimeEqual } from "../lib/crypto.ts";
import { recordRefusedDelivery, type RefusalReason } from "../lib/leads/deliveries.ts";
import { countDeliveries } from "../lib/metrics/webhook_deliveries.ts";
import { BodyTooLargeError, readBodyBytes } from "../lib/web/body.ts";
import { define, type RouteContext } from "../lib/app_state.ts";
import { jsonResponse } from "../lib/web/http_error.ts";
import { clientAddress } from "../lib/web/request_info.ts";

function text(body: string, status: number): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Meta calls it without a session; the signature is its credential. */
export const access = "public";

/** No origin to check: Meta's servers post here, and the signature is checked instead. */
export const csrf = "exempt";

export const handler = define.handlers({
  GET({ url, state }) {
    const mode = url.searchParams.get("hub.mode");
    const token = url.searchParams.get("hub.verify_token");
    const challenge = url.searchParams.get("hub.challenge");
    const ours = state.services.webhook.verifyToken;
    if (mode === "subscribe" && token !== null && challenge !== null) {
      if (constantTimeEqual(token, ours)) return text(challenge, 200);
    }
    state.services.log.warn("webhook verification refused", {
      requestId: state.requestId,
      mode,
      hasToken: token !== null,
      hasChallenge: challenge !== null,
    });
    return text("Forbidden: hub.mode must be subscribe and hub.verify_token must match", 403);
  },

  POST: countDeliveries(async ({ req, info, state }: RouteContext) => {
    const { services, requestId } = state;
    const address = clientAddress(req, info, services.config.trustProxy);
    const forgeries = services.webhookForgeries;
    const signature = req.headers.get("x-hub-signature-256");
    const tooMany = (limit: RateLimitStatus) =>
      jsonResponse(
        { error: "Too many deliveries with a bad signature from this address", requestId },
        429,
        { "retry-after": String(limit.retryAfterSeconds) },
      );
    // A blocked address may be shared with Meta (a proxy, a NAT), so a delivery that carries a
    // well-formed signature is always checked and, when it is Meta's, accepted without reading
    // the limiter at all (Meta's deliveries are the hot path); anything else from a blocked
    // address is refused before its body is read.
    if (!/^sha256=[0-9a-f]{64}$/i.test(signature?.trim() ?? "")) {
      const limit = await forgeries.check(address);
      if (!limit.allowed) return tooMany(limit);
    }
    // The deliveries log shows refusals too (metadata only, in a bounded ring); a failure to log
    // one must not change the answer.
    const logRefusal = (reason: RefusalReason, bytes: number | null) =>
      recordRefusedDelivery(services.kv, {
        requestId,
        reason,
        bytes,
        address,
        userAgent: req.headers.get("user-agent"),
      }).catch((error) =>
        services.log.error("refused delivery not logged", { requestId, error: error.message })
      );

    let body: Uint8Array;
    try {
      body = await readBodyBytes(
        req.body,
        services.config.webhookBodyLimit,
        req.headers.get("content-length"),
      );
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      const claimed = Number(req.headers.get("content-length"));
      await logRefusal("too_large", Number.isSafeInteger(claimed) ? claimed : null);
      // Answered here, not by onError, so countDeliveries sees the 413 (too_large), and after
      // the refusal is in the deliveries log; the status is still the error's own.
      return jsonResponse({ error: error.message, requestId }, error.status);
    }

    const result = await services.ingestion.ingest(body, signature, requestId);
    switch (result.outcome) {
      case "unauthorized": {
        const limit = await forgeries.check(address);
        await forgeries.hit(address);
        await logRefusal(result.reason, body.byteLength);
        if (!limit.allowed) return tooMany(limit);
        const why = result.reason === "missing"
          ? "the X-Hub-Signature-256 header is missing"
          : result.reason === "malformed"
          ? "the X-Hub-Signature-256 header is not sha256=<64 hex digits>"
          : "the X-Hub-Signature-256 header does not match the body";
        return jsonResponse({ error: `Cannot accept delivery: ${why}`, requestId }, 401);
      }
      case "rejected":
        return jsonResponse({ error: `Cannot accept delivery: ${result.reason}`, requestId }, 400);
      case "queued":
        // Durable in the inbox; its leads are stored a moment later (many deliveries arrived).
        return jsonResponse({
          received: result.leadgenChanges,
          queued: true,
          ignored: result.ignored,
          rejected: result.rejected.slice(0, 20),
          requestId,
        });
      default:
        // 200 even when some changes were malformed: their good neighbours are stored, and Meta
        // would send the whole delivery again for 36 hours on anything else.
        return jsonResponse({
          received: result.leadgenChanges,
          inserted: result.inserted,
          duplicates: result.duplicates,
          ignored: result.ignored,
          rejected: result.rejected.slice(0, 20),
          requestId,
        });
    }
  }),
});
