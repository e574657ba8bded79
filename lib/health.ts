// Health of the process's dependencies, as the /health route reports it.

/** Result of a health check. */
export interface Health {
  ok: boolean;
  kv: "ok" | "error";
  uptimeSeconds: number;
}

/** Checks that KV answers a read within `timeoutMs`. */
export async function checkHealth(
  kv: Deno.Kv,
  startedAt: number,
  timeoutMs = 2000,
): Promise<Health> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("KV did not answer in time")), timeoutMs);
  });
  let kvOk = false;
  try {
    await Promise.race([kv.get(["health_probe"]), timeout]);
    kvOk = true;
  } catch {
    kvOk = false;
  } finally {
    clearTimeout(timer);
  }
  return {
    ok: kvOk,
    kv: kvOk ? "ok" : "error",
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
  };
}
