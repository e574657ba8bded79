// Prometheus metrics of this process, for a scraper with METRICS_TOKEN or a signed-in admin.

import { authorizeMetrics } from "../lib/auth_web/metrics_access.ts";
import { readJobBacklog } from "../lib/jobs/backlog.ts";
import { renderMetrics } from "../lib/metrics/app_metrics.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../lib/metrics/registry.ts";
import { define } from "../lib/app_state.ts";

/**
 * A scraper has no session, so the route is open to the router and checks its own callers
 * (`authorizeMetrics`): the bearer token or an admin session. Nothing in it is personal data.
 */
export const access = "public";

export const handler = define.handlers({
  async GET({ req, state }) {
    const { services, user, requestId } = state;
    const denied = authorizeMetrics(req, user, services.config.metricsToken, requestId);
    if (denied) return denied;
    const backlog = await readJobBacklog(services.kv);
    const text = renderMetrics({
      openStreams: services.live.size,
      jobsDue: backlog.due,
      oldestDueJobAgeMs: backlog.oldestDueAt === null ? null : Date.now() - backlog.oldestDueAt,
    });
    return new Response(text, {
      headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
    });
  },
});
