// Health of the process's dependencies, as the /health route reports it: KV must read and write.

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
