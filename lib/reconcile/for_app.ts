// Builds the app's reconciler from its configuration and ingestion pipeline (demo mode sweeps the simulator).

import type { Config } from "../config.ts";
import type { LeadPipeline } from "../leads/pipeline.ts";
import type { Logger } from "../log.ts";
import { knownPagesLister } from "./pages.ts";
import { createReconciler, type Reconciler } from "./reconciler.ts";

/**
 * The reconciler one app runs with. Live, it sweeps the pages of META_PAGE_TOKENS, every page a
 * lead arrived from and the pages added in settings; in demo mode, the simulator's pages (its
 * held-back leads are what Sync finds). Registers the resume job on the pipeline's queue.
 */
export function createAppReconciler(
  config: Config,
  kv: Deno.Kv,
  log: Logger,
  pipeline: Pick<LeadPipeline, "graph" | "leads" | "alerts" | "jobs" | "simulator">,
): Reconciler {
  const simulator = pipeline.simulator;
  const reconciler = createReconciler({
    kv,
    graph: pipeline.graph,
    store: pipeline.leads,
    alerts: pipeline.alerts,
    jobs: pipeline.jobs,
    log: log.child({ part: "reconcile" }),
    listPages: simulator
      ? () => Promise.resolve(simulator.pages.map((page) => page.id))
      : knownPagesLister(kv, pipeline.leads, () => Object.keys(config.meta?.pageTokens ?? {})),
    overlapMs: config.reconcile.overlapMs,
    minIntervalMs: config.reconcile.minIntervalMs,
    backfillDays: config.reconcile.backfillDays,
  });
  reconciler.registerJobs();
  return reconciler;
}
