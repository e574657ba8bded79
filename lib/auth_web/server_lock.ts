// A heartbeat the running server keeps in KV, so the user CLI refuses to write behind its back.

/** How often the server refreshes its heartbeat. */
export const HEARTBEAT_EVERY_MS = 10_000;
/** A heartbeat older than this means the server is gone (crashed or killed). */
export const HEARTBEAT_STALE_MS = 35_000;

/** What the heartbeat records. */
export interface ServerHeartbeat {
  pid: number;
  /** Where the server listens, e.g. `http://127.0.0.1:8000/`. */
  url: string;
  /** ms since the epoch of the last refresh. */
  at: number;
}

/** `["server_heartbeat"]` -> {@linkcode ServerHeartbeat}. */
export function serverHeartbeatKey(): Deno.KvKey {
  return ["server_heartbeat"];
}

/** Writes one heartbeat now. */
export async function writeHeartbeat(
  kv: Deno.Kv,
  heartbeat: ServerHeartbeat,
): Promise<void> {
  await kv.set(serverHeartbeatKey(), heartbeat, { expireIn: HEARTBEAT_STALE_MS });
}

/** The heartbeat of a server running on this KV, or null when none is fresh. */
export async function findRunningServer(
  kv: Deno.Kv,
  now: number = Date.now(),
): Promise<ServerHeartbeat | null> {
  const beat = (await kv.get<ServerHeartbeat>(serverHeartbeatKey())).value;
  // KV deletes expired keys lazily, so the time decides, not the key's presence.
  if (beat === null || now - beat.at > HEARTBEAT_STALE_MS) return null;
  return beat;
}

/** A running heartbeat; `stop` ends the timer and removes the key (clean shutdown). */
export interface HeartbeatHandle {
  stop(): Promise<void>;
}

/** Starts refreshing the heartbeat every {@linkcode HEARTBEAT_EVERY_MS}. */
export async function startHeartbeat(
  kv: Deno.Kv,
  info: { pid: number; url: string },
): Promise<HeartbeatHandle> {
  const beat = () => writeHeartbeat(kv, { ...info, at: Date.now() }).catch(() => {});
  await beat();
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await kv.delete(serverHeartbeatKey()).catch(() => {});
    },
  };
}
