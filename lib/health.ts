// Health of the process, as /health (liveness: KV must read and write) and /health/ready
// (readiness: that, and jobs being taken on time) report it.

import { createAlertStore } from "./alerts.ts";
import { readJobBacklog } from "./jobs/backlog.ts";
import { listDeliveries } from "./leads/deliveries.ts";

/** Result of a health check. */
export interface Health {
  ok: boolean;
  kv: "ok" | "error";
  /** What failed, when something did: safe to show (names the step, never a secret). */
  reason?: string;
  uptimeSeconds: number;
}

/** Options of {@linkcode checkHealth}. */
export interface HealthCheckOptions {
  /** Longest wait for KV, in ms (default 2,000). */
  timeoutMs?: number;
  /** Which probe key this process writes (default one per process). */
  probeId?: string;
}

/** How long a probe key outlives its write: long enough to read back, then it cleans itself up. */
const PROBE_EXPIRE_MS = 60_000;
const PROCESS_PROBE_ID = crypto.randomUUID();

/** `["health_probe", probeId]` -> the last probe this process wrote (`{ token, at }`). */
export function healthProbeKey(probeId: string): Deno.KvKey {
  return ["health_probe", probeId];
}

/**
 * Checks that KV takes a small write and gives it back within `timeoutMs`. A read alone is not
 * enough: a full disk or a read-only file still answers reads while every webhook, sign-in and
 * hand-entered lead fails. Each process writes its own probe key (with a short expiry), so
 * instances sharing a KV never read each other's token.
 */
export async function checkHealth(
  kv: Deno.Kv,
  startedAt: number,
  options: HealthCheckOptions = {},
): Promise<Health> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const key = healthProbeKey(options.probeId ?? PROCESS_PROBE_ID);
  const token = crypto.randomUUID();
  let step = "write";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), timeoutMs);
  });
  let reason: string | undefined;
  try {
    await Promise.race([
      (async () => {
        await kv.set(key, { token, at: Date.now() }, { expireIn: PROBE_EXPIRE_MS });
        step = "read";
        const back = await kv.get<{ token: string }>(key);
        if (back.value?.token !== token) {
          throw new Error("the value read back is not the one just written");
        }
      })(),
      timeout,
    ]);
  } catch (error) {
    reason = error instanceof ProbeTimeout
      ? `KV did not answer a ${step} within ${timeoutMs} ms`
      : `KV cannot ${step}: ${describe(error)}`;
  } finally {
    clearTimeout(timer);
  }
  return {
    ok: reason === undefined,
    kv: reason === undefined ? "ok" : "error",
    ...(reason === undefined ? {} : { reason }),
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  };
}

class ProbeTimeout extends Error {}

// KV's own errors ("disk I/O error", "database or disk is full") say what is wrong and hold no
// secrets; one short line of them is enough for whoever reads the health answer.
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n")[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

/** What `/health/ready` reports: whether to send this instance traffic, and what it saw. */
export interface Readiness {
  ok: boolean;
  /** Why it is not ready (empty when ready): each safe to show. */
  reasons: string[];
  /** The KV write probe (as `/health`). */
  kv: Health;
  /** Background jobs due now and not taken; null when KV could not be read. */
  jobs: {
    due: number;
    /** True when more were due than were counted. */
    capped: boolean;
    /** Seconds the oldest due job has waited; null when none is due. */
    oldestDueAgeSeconds: number | null;
    /** The limit past which the instance is not ready (`READY_MAX_JOB_DELAY_SECONDS`); 0 is off. */
    maxDelaySeconds: number;
  } | null;
  /**
   * The last signed webhook delivery (kept 7 days), shared by every instance; null when KV could
   * not be read. Informational: a quiet night has no leads.
   */
  webhook: { lastReceivedAt: string | null; ageSeconds: number | null } | null;
  /** Dashboard alerts raised (expired tokens, missing permissions, ...), by kind. Informational. */
  alerts: { count: number; kinds: Record<string, number> } | null;
}

/** Options of {@linkcode checkReadiness}. */
export interface ReadinessOptions extends HealthCheckOptions {
  /** Not ready while a job has been due longer than this (ms); 0 turns the check off. */
  maxJobDelayMs: number;
  /** Clock (default Date.now). */
  now?: () => number;
}

/**
 * Checks that this instance can do its work: KV takes a write (as {@linkcode checkHealth}), and
 * no background job has waited past `maxJobDelayMs` for a run to take it (the runner sweeps every
 * second, the cron every minute: a job due for minutes means the runner is stuck or far behind).
 * The last webhook's age and the raised alerts are reported, never held against readiness: no
 * lead for hours is normal at night, and an expired token is fixed by a person, not by sending
 * this instance fewer deliveries (it still stores them for when the token works again).
 */
export async function checkReadiness(
  kv: Deno.Kv,
  startedAt: number,
  options: ReadinessOptions,
): Promise<Readiness> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 2000;
  const health = await checkHealth(kv, startedAt, options);
  const reasons = health.reason === undefined ? [] : [health.reason];
  if (!health.ok) {
    return { ok: false, reasons, kv: health, jobs: null, webhook: null, alerts: null };
  }

  const [backlog, deliveries, alerts] = await Promise.allSettled([
    withTimeout(readJobBacklog(kv, { now: now() }), timeoutMs, "the job backlog"),
    withTimeout(listDeliveries(kv, { limit: 1 }), timeoutMs, "the last webhook delivery"),
    withTimeout(createAlertStore(kv).listAlerts(), timeoutMs, "the alerts"),
  ]);

  let jobs: Readiness["jobs"] = null;
  if (backlog.status === "fulfilled") {
    const waitedMs = backlog.value.oldestDueAt === null ? null : now() - backlog.value.oldestDueAt;
    jobs = {
      due: backlog.value.due,
      capped: backlog.value.capped,
      oldestDueAgeSeconds: waitedMs === null ? null : Math.max(0, Math.round(waitedMs / 1000)),
      maxDelaySeconds: Math.round(options.maxJobDelayMs / 1000),
    };
    if (options.maxJobDelayMs > 0 && waitedMs !== null && waitedMs > options.maxJobDelayMs) {
      reasons.push(
        `a background job has waited ${Math.round(waitedMs / 1000)} s to run, more than ` +
          `READY_MAX_JOB_DELAY_SECONDS (${jobs.maxDelaySeconds}): the job runner is stuck or behind`,
      );
    }
  } else {
    reasons.push(describe(backlog.reason));
  }

  let webhook: Readiness["webhook"] = null;
  if (deliveries.status === "fulfilled") {
    const last = deliveries.value[0]?.receivedAt ?? null;
    webhook = {
      lastReceivedAt: last,
      ageSeconds: last === null ? null : Math.max(0, Math.round((now() - Date.parse(last)) / 1000)),
    };
  }

  let alertSummary: Readiness["alerts"] = null;
  if (alerts.status === "fulfilled") {
    const kinds: Record<string, number> = {};
    for (const alert of alerts.value) kinds[alert.kind] = (kinds[alert.kind] ?? 0) + 1;
    alertSummary = { count: alerts.value.length, kinds };
  }

  return { ok: reasons.length === 0, reasons, kv: health, jobs, webhook, alerts: alertSummary };
}

// A KV read that hangs must not hang the probe: the orchestrator wants an answer.
async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work.catch((error) => {
        throw new Error(`KV cannot read ${what}: ${describe(error)}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`KV did not give ${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
