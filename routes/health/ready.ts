// Readiness for load balancers and orchestrators: KV writes, jobs are taken on time; 503 and why.

import { checkReadiness } from "../../lib/health.ts";
import { define } from "../../lib/app_state.ts";
import { jsonResponse } from "../../lib/web/http_error.ts";

/** Orchestrators call it without a session; it holds counts and times, no lead data. */
export const access = "public";

export const handler = define.handlers({
  async GET({ state }) {
    const { kv, startedAt, config, log } = state.services;
    const ready = await checkReadiness(kv, startedAt, {
      maxJobDelayMs: config.readyMaxJobDelayMs,
    });
    if (!ready.ok) log.warn("not ready", { reasons: ready.reasons });
    return jsonResponse(
      {
        ok: ready.ok,
        status: ready.ok ? "ready" : "not_ready",
        ...(ready.ok ? {} : { reasons: ready.reasons }),
        kv: ready.kv.kv,
        jobs: ready.jobs,
        webhook: ready.webhook,
        alerts: ready.alerts,
        mode: config.meta ? "live" : "demo",
        uptimeSeconds: ready.kv.uptimeSeconds,
      },
      ready.ok ? 200 : 503,
      { "cache-control": "no-store" },
    );
  },
});
