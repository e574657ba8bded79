// Liveness for load balancers and supervisors: 200 while KV reads and writes, else 503 and why.

import { checkHealth } from "../lib/health.ts";
import { define } from "../lib/app_state.ts";
import { jsonResponse } from "../lib/web/http_error.ts";

/** Load balancers and uptime checks call it without a session; it holds no lead data. */
export const access = "public";

export const handler = define.handlers({
  async GET({ state }) {
    const { kv, startedAt, config, log } = state.services;
    const health = await checkHealth(kv, startedAt);
    if (!health.ok) log.error("health check failed", { reason: health.reason });
    return jsonResponse(
      {
        ok: health.ok,
        status: health.ok ? "ok" : "unavailable",
        kv: health.kv,
        ...(health.reason === undefined ? {} : { reason: health.reason }),
        mode: config.meta ? "live" : "demo",
        uptimeSeconds: health.uptimeSeconds,
      },
      health.ok ? 200 : 503,
      { "cache-control": "no-store" },
    );
  },
});
