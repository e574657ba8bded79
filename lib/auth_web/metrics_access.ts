// Who may read `GET /metrics`: a scraper holding METRICS_TOKEN as a bearer token, or an admin.

import { constantTimeEqual } from "../crypto.ts";
import type { SessionUser } from "../app_state.ts";
import { jsonResponse } from "../web/http_error.ts";

const REALM = 'Bearer realm="leadline metrics"';

/**
 * Decides a metrics request: null lets it through, else the refusal to send. A bearer token, when
 * the request carries one, decides alone: `METRICS_TOKEN` (compared in constant time) passes, any
 * other value is 401 whoever is signed in. Without one, a signed-in admin passes, an agent gets
 * 403 and anyone else 401 with `WWW-Authenticate: Bearer`. With no `METRICS_TOKEN` set, only
 * admins can read the metrics.
 */
export function authorizeMetrics(
  req: Request,
  user: SessionUser | null,
  metricsToken: string | null,
  requestId: string,
): Response | null {
  const header = req.headers.get("authorization");
  const bearer = header === null ? null : /^Bearer[ ]+(\S+)[ ]*$/i.exec(header)?.[1] ?? null;
  if (bearer !== null) {
    if (metricsToken !== null && constantTimeEqual(bearer, metricsToken)) return null;
    return jsonResponse(
      { error: "Cannot read the metrics: the bearer token is not METRICS_TOKEN", requestId },
      401,
      { "www-authenticate": `${REALM}, error="invalid_token"`, "cache-control": "no-store" },
    );
  }
  if (user?.role === "admin") return null;
  if (user) {
    return jsonResponse({ error: "Only admins may read the metrics", requestId }, 403, {
      "cache-control": "no-store",
    });
  }
  return jsonResponse(
    {
      error:
        "Cannot read the metrics: send METRICS_TOKEN as a bearer token, or sign in as an admin",
      requestId,
    },
    401,
    { "www-authenticate": REALM, "cache-control": "no-store" },
  );
}
