// Background passes over the leads, once a second: routing new leads, re-assigning the ones nobody
// called in time, flagging repeat Meta submissions, and indexing leads stored by older versions.

import { flagRepeatSubmissions } from "./leads/duplicates.ts";
import type { LeadStore } from "./leads/store.ts";
import type { Logger } from "./log.ts";
import { reassignOverdueLeads, routeNewLeads } from "./routing/router.ts";
import { getTeamSettings } from "./routing/settings.ts";

/** What the worker needs. */
export interface LeadWorkerDeps {
  kv: Deno.Kv;
  store: LeadStore;
  log: Logger;
  /** Country for national phone numbers (`DEFAULT_PHONE_COUNTRY`), or null. */
  defaultCountry: string | null;
  /** Clock (default the real one). */
  now?: () => Date;
  /** Pause between passes (default 1,000 ms). */
  intervalMs?: number;
  /**
   * Records derived from leads that older versions did not write in the leads' commits: `run`
   * derives them for every stored lead, once per KV (a marker named `name` says it is done),
   * in the background at `start`, never in a request.
   */
  backfill?: { name: string; run(): Promise<void> };
}

/** `["lead_backfills", name]` -> true once backfill `name` has run to the end on this KV. */
export function leadBackfillKey(name: string): Deno.KvKey {
  return ["lead_backfills", name];
}

/** What one pass did. */
export interface LeadWorkerPass {
  routed: number;
  reassigned: number;
  flaggedDuplicates: number;
}

/** The worker: `start` runs passes until `stop`; `runOnce` is one pass (tests, cron). */
export interface LeadWorker {
  start(): void;
  stop(): Promise<void>;
  runOnce(): Promise<LeadWorkerPass>;
}

async function runBackfill({ kv, backfill, log }: LeadWorkerDeps): Promise<void> {
  if (!backfill) return;
  const key = leadBackfillKey(backfill.name);
  if ((await kv.get(key)).value === true) return;
  await backfill.run();
  await kv.set(key, true);
  log.info("derived the records of stored leads", { backfill: backfill.name });
}

/**
 * Makes the worker. Every step is safe to run in several processes at once: each lead write
 * re-checks the lead in its own commit. A failing pass is logged and the next one runs as usual.
 */
export function createLeadWorker(deps: LeadWorkerDeps): LeadWorker {
  const intervalMs = deps.intervalMs ?? 1_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | null = null;
  let stopped = true;
  let chain: Promise<LeadWorkerPass> | null = null;
  let indexing: Promise<unknown> | null = null;

  async function pass(): Promise<LeadWorkerPass> {
    const settings = await getTeamSettings(deps.kv);
    const routing = { kv: deps.kv, store: deps.store, now: deps.now };
    const routed = await routeNewLeads(routing, settings);
    const reassigned = await reassignOverdueLeads(routing, settings);
    const flaggedDuplicates = await flagRepeatSubmissions({
      kv: deps.kv,
      store: deps.store,
      defaultCountry: deps.defaultCountry,
      now: deps.now,
    });
    if (routed || reassigned || flaggedDuplicates) {
      deps.log.info("lead worker pass", { routed, reassigned, flaggedDuplicates });
    }
    return { routed, reassigned, flaggedDuplicates };
  }

  /** One pass at a time: a call while one runs waits for it, then runs its own. */
  function runOnce(): Promise<LeadWorkerPass> {
    const next = (chain ?? Promise.resolve()).catch(() => {}).then(pass);
    chain = next;
    return next;
  }

  function tick() {
    if (stopped) return;
    running = runOnce()
      .catch((error) => deps.log.error("lead worker pass failed", { error }))
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      indexing = Promise.all([
        deps.store.indexStoredLeads().then((written) => {
          if (written > 0) deps.log.info("indexed leads stored by an older version", { written });
        }).catch((error) => deps.log.error("indexing stored leads failed", { error })),
        runBackfill(deps).catch((error) =>
          deps.log.error("deriving records of stored leads failed", { error })
        ),
      ]);
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
      await indexing;
    },
    runOnce,
  };
}
