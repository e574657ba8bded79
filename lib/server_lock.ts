// The running server's heartbeat in KV: one server per local KV file, and the user CLI refuses to
// write behind its back.

import { commitAtomic } from "./kv_commit.ts";

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
  /** Random id of the server process that wrote it; a server only ever deletes its own. */
  id?: string;
  /** The machine's host name, so a pid is only looked up on the machine it belongs to. */
  hostname?: string;
}

/** `["server_heartbeat"]` -> {@linkcode ServerHeartbeat}. */
export function serverHeartbeatKey(): Deno.KvKey {
  return ["server_heartbeat"];
}

/** Writes one heartbeat now (unconditionally; servers use {@linkcode claimServerLock}). */
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
  return isFresh(beat, now) ? beat : null;
}

/** A running heartbeat; `stop` ends the timer and removes the key if it is still ours. */
export interface HeartbeatHandle {
  /** Changes the address the heartbeat shows (known once the server listens). */
  setUrl(url: string): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@linkcode claimServerLock}. */
export interface ServerLockOptions {
  /** Where the server listens, or will (updated with `setUrl` once known). */
  url: string;
  /** Default `Deno.pid`. */
  pid?: number;
  /** Default `Deno.hostname()`. */
  hostname?: string;
  /**
   * Whether a process id still runs on this machine; default: looks in `/proc` where there is one,
   * else "unknown" (null), which waits for the holder's next refresh to decide.
   */
  isAlive?: (pid: number) => Promise<boolean | null>;
  /** Refresh period, default {@linkcode HEARTBEAT_EVERY_MS}; tests shorten it. */
  everyMs?: number;
  /** Called once when another server has taken the heartbeat over; ours stops refreshing. */
  onLost?: (holder: ServerHeartbeat) => void;
  /** Clock, for tests. */
  now?: () => number;
}

/** What {@linkcode claimServerLock} decided. */
export type ServerLockResult =
  | { ok: true; handle: HeartbeatHandle }
  | { ok: false; holder: ServerHeartbeat };

/**
 * Claims the KV file for this server: refuses (`ok: false`, with the holder) while another
 * server's heartbeat is fresh and that server is alive, otherwise writes our heartbeat in an
 * atomic commit that checks nobody else wrote one meanwhile, and refreshes it until `stop`.
 *
 * Why a lock: `kv.watch` on a local SQLite file sees only its own process's writes, so a second
 * server on the same file would never push the first one's leads to its dashboards (and both
 * would run the same jobs and crons). A heartbeat left by a crashed server is taken over at once
 * when its pid is gone from this machine, else once it has stopped refreshing.
 */
export async function claimServerLock(
  kv: Deno.Kv,
  options: ServerLockOptions,
): Promise<ServerLockResult> {
  const now = options.now ?? Date.now;
  const everyMs = options.everyMs ?? HEARTBEAT_EVERY_MS;
  const isAlive = options.isAlive ?? processIsAlive;
  const ours: ServerHeartbeat = {
    pid: options.pid ?? Deno.pid,
    url: options.url,
    at: now(),
    id: crypto.randomUUID(),
    hostname: options.hostname ?? Deno.hostname(),
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    let entry = await kv.get<ServerHeartbeat>(serverHeartbeatKey());
    const holder = entry.value;
    if (holder !== null && isFresh(holder, now())) {
      const verdict = await holderVerdict(holder, ours, isAlive);
      if (verdict === "alive") return { ok: false, holder };
      if (verdict === "unknown") {
        // Cannot see its process: it is alive exactly when it refreshes its beat.
        const later = await waitForChange(kv, entry, everyMs * 1.5, now);
        if (later !== null) {
          if (isFresh(later.value, now())) return { ok: false, holder: later.value! };
          entry = later;
        }
      }
    }
    ours.at = now();
    const committed = await commitAtomic(
      kv.atomic()
        .check(entry)
        .set(serverHeartbeatKey(), ours, { expireIn: HEARTBEAT_STALE_MS }),
    );
    if (committed.ok) {
      return { ok: true, handle: runHeartbeat(kv, ours, committed.versionstamp, everyMs, options) };
    }
  }
  throw new Error("Cannot claim the server heartbeat: it kept changing during 10 attempts");
}

/**
 * Starts refreshing a heartbeat every {@linkcode HEARTBEAT_EVERY_MS} without asking who holds it
 * (tests; a server uses {@linkcode claimServerLock}). `stop` removes the key only while it is ours.
 */
export async function startHeartbeat(
  kv: Deno.Kv,
  info: { pid: number; url: string },
): Promise<HeartbeatHandle> {
  const ours: ServerHeartbeat = { ...info, at: Date.now(), id: crypto.randomUUID() };
  const committed = await kv.set(serverHeartbeatKey(), ours, { expireIn: HEARTBEAT_STALE_MS });
  return runHeartbeat(kv, ours, committed.versionstamp, HEARTBEAT_EVERY_MS, {});
}

function runHeartbeat(
  kv: Deno.Kv,
  ours: ServerHeartbeat,
  firstStamp: string,
  everyMs: number,
  options: Pick<ServerLockOptions, "onLost" | "now">,
): HeartbeatHandle {
  const now = options.now ?? Date.now;
  let stamp: string | null = firstStamp;
  let lost = false;
  let chain: Promise<void> = Promise.resolve();

  // Writes our beat only over our own last one (or over nothing, when ours expired while this
  // process was suspended); anything else means another server holds the file now.
  async function refresh(): Promise<void> {
    if (lost) return;
    ours.at = now();
    const current = await kv.get<ServerHeartbeat>(serverHeartbeatKey());
    const mine = current.versionstamp === stamp || current.value === null ||
      current.value.id === ours.id;
    if (!mine) {
      lost = true;
      options.onLost?.(current.value!);
      return;
    }
    const committed = await commitAtomic(
      kv.atomic()
        .check(current)
        .set(serverHeartbeatKey(), ours, { expireIn: HEARTBEAT_STALE_MS }),
    );
    if (committed.ok) stamp = committed.versionstamp;
  }

  // One write at a time, so a slow refresh and a stop never interleave.
  const queue = (step: () => Promise<void>) => (chain = chain.then(step).catch(() => {}));
  const timer = setInterval(() => queue(refresh), everyMs);
  return {
    setUrl(url) {
      ours.url = url;
      return queue(refresh);
    },
    async stop() {
      clearInterval(timer);
      lost = true;
      await queue(async () => {
        const current = await kv.get<ServerHeartbeat>(serverHeartbeatKey());
        if (current.value?.id !== ours.id) return; // another server's: never ours to delete
        await commitAtomic(kv.atomic().check(current).delete(serverHeartbeatKey()));
      });
    },
  };
}

function isFresh(beat: ServerHeartbeat | null, now: number): boolean {
  // KV deletes expired keys lazily, so the time decides, not the key's presence.
  return beat !== null && now - beat.at <= HEARTBEAT_STALE_MS;
}

async function holderVerdict(
  holder: ServerHeartbeat,
  ours: ServerHeartbeat,
  isAlive: (pid: number) => Promise<boolean | null>,
): Promise<"alive" | "gone" | "unknown"> {
  if (holder.hostname === undefined || holder.hostname !== ours.hostname) return "unknown";
  // Our own pid in a beat we did not write: an earlier run of this same process slot (a
  // container restarted with the same pid), so that server is gone.
  if (holder.pid === ours.pid) return "gone";
  const alive = await isAlive(holder.pid);
  return alive === null ? "unknown" : alive ? "alive" : "gone";
}

async function processIsAlive(pid: number): Promise<boolean | null> {
  try {
    await Deno.stat("/proc/self");
  } catch {
    return null; // no /proc on this system (macOS, Windows)
  }
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

// Waits until the heartbeat key changes or `ms` pass; the new entry, or null when unchanged.
async function waitForChange(
  kv: Deno.Kv,
  entry: Deno.KvEntryMaybe<ServerHeartbeat>,
  ms: number,
  now: () => number,
): Promise<Deno.KvEntryMaybe<ServerHeartbeat> | null> {
  // Polled rather than watched: on a local file kv.watch does not see another process's writes.
  const deadline = now() + ms;
  while (now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, ms)));
    const current = await kv.get<ServerHeartbeat>(serverHeartbeatKey());
    if (current.versionstamp !== entry.versionstamp) return current;
  }
  return null;
}
