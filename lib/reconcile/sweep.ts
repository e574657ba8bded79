// One sweep: discover each page's forms, list each form's leads since its watermark, store what is new.

import type { GraphClient } from "../facebook/graph_client.ts";
import { GraphApiError } from "../facebook/graph_errors.ts";
import type { GraphLead } from "../facebook/lead_fields.ts";
import { applyLeadDetails } from "../leads/model.ts";
import type { LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { discoverPageForms, formNeedsSweep, saveReconcileForm } from "./forms.ts";
import { graphLeadDetails, leadFromGraph } from "./graph_lead.ts";
import { reconcileProgressKey } from "./keys.ts";
import type { ReconcileForm } from "./types.ts";
import type { PageAccessProblem, SweepProgress } from "../wire.ts";

/** What a sweep needs; everything is passed in so it runs the same from a route, cron or a test. */
export interface SweepDeps {
  kv: Deno.Kv;
  graph: GraphClient;
  store: LeadStore;
  /** The pages to sweep. */
  pageIds: string[];
  now(): Date;
  log: Pick<Logger, "info" | "warn" | "error">;
  /** How far before a form's watermark each listing starts. */
  overlapMs: number;
  /** How far back a form listed for the first time goes. */
  backfillMs: number;
  /** Leads per Graph page. */
  pageSize: number;
  /** Wait before the one quick retry of a transient failure. */
  transientRetryDelayMs: number;
  /** Pause after a rate limit when Meta did not say how long. */
  rateLimitPauseMs: number;
  /** Pause after transient failures. */
  transientPauseMs: number;
  /** Keeps the sweep lock; false when it was lost (the sweep stops at once). */
  keepLock(): Promise<boolean>;
}

/** How a sweep ended. */
export interface SweepOutcome {
  forms: number;
  scanned: number;
  inserted: number;
  startedAt: Date;
  finishedAt: Date;
  /** Problems that did not stop the sweep (a form Meta no longer has, a bad request). */
  errors: string[];
  /** Pages whose forms Meta listed (their token works). */
  pagesReached: string[];
  /** Pages whose token or permissions Meta refused; their forms were skipped. */
  pageProblems: PageAccessProblem[];
  /** Set when a rate limit or transient failure paused the sweep: resume at `until` (ms). */
  pause: { until: number; reason: string } | null;
}

/** The sweep stops: Meta asked us to slow down, or we lost the lock. */
class SweepStop extends Error {
  constructor(readonly pauseUntil: number | null, message: string) {
    super(message);
  }
}

/** Most Graph pages listed per form in one pass, so a cursor that never ends cannot loop forever. */
const MAX_LEAD_PAGES = 10_000;

/**
 * Runs one sweep. Forms whose pass was paused continue from their stored cursor; every other form
 * starts a pass from its watermark minus the overlap (or the backfill start). A form's watermark
 * moves to its pass's start only when the listing reached the end. Progress goes to KV after each
 * Graph page. Rate limits and transient failures stop the sweep with a `pause`; token and
 * permission errors skip the page and are reported in `pageProblems`.
 */
export async function runSweep(deps: SweepDeps): Promise<SweepOutcome> {
  const startedAt = deps.now();
  const startSec = Math.floor(startedAt.getTime() / 1000);
  const outcome: SweepOutcome = {
    forms: 0,
    scanned: 0,
    inserted: 0,
    startedAt,
    finishedAt: startedAt,
    errors: [],
    pagesReached: [],
    pageProblems: [],
    pause: null,
  };
  const progress: SweepProgress = {
    running: true,
    backfill: false,
    formsDone: 0,
    formsTotal: 0,
    leadsFound: 0,
    inserted: 0,
    startedAt: startedAt.toISOString(),
    updatedAt: startedAt.toISOString(),
  };
  const saveProgress = async (running = true) => {
    progress.running = running;
    progress.updatedAt = deps.now().toISOString();
    await deps.kv.set(reconcileProgressKey(), progress);
  };

  try {
    await saveProgress();
    const forms: ReconcileForm[] = [];
    for (const pageId of deps.pageIds) {
      const found = await withGraph(
        deps,
        outcome,
        pageId,
        () => discoverPageForms(deps.kv, deps.graph, pageId, deps.now()),
      );
      if (found === null) continue;
      outcome.pagesReached.push(pageId);
      forms.push(...found.filter(formNeedsSweep));
    }
    progress.formsTotal = forms.length;
    progress.backfill = forms.some((form) => form.watermark === null && form.pass === null);
    await saveProgress();

    const refusedPages = new Set<string>();
    for (const form of forms) {
      if (refusedPages.has(form.pageId)) continue;
      const done = await sweepForm(deps, form, startSec, outcome, progress);
      if (done === "refused") refusedPages.add(form.pageId);
      if (done === "done") outcome.forms++;
      progress.formsDone++;
      await saveProgress();
    }
  } catch (error) {
    if (!(error instanceof SweepStop)) throw error;
    outcome.errors.push(error.message);
    if (error.pauseUntil !== null) {
      outcome.pause = { until: error.pauseUntil, reason: error.message };
    }
  } finally {
    outcome.finishedAt = deps.now();
    await saveProgress(false).catch(() => {});
  }
  return outcome;
}

/** Lists one form's leads to the end (or to a pause); "refused" means its page's token failed. */
async function sweepForm(
  deps: SweepDeps,
  form: ReconcileForm,
  startSec: number,
  outcome: SweepOutcome,
  progress: SweepProgress,
): Promise<"done" | "refused" | "skipped"> {
  if (form.pass === null) {
    const since = form.watermark !== null
      ? form.watermark - Math.ceil(deps.overlapMs / 1000)
      : startSec - Math.ceil(deps.backfillMs / 1000);
    form.pass = { since, after: null, startedAt: startSec };
    await saveReconcileForm(deps.kv, form);
  }
  const pass = form.pass;
  let restartedStaleCursor = false;
  for (let page = 0; page < MAX_LEAD_PAGES; page++) {
    let listed: Awaited<ReturnType<GraphClient["listFormLeads"]>> | null;
    try {
      listed = await withGraph(
        deps,
        outcome,
        form.pageId,
        () =>
          deps.graph.listFormLeads(form.formId, form.pageId, {
            since: pass.since,
            after: pass.after ?? undefined,
            limit: deps.pageSize,
          }),
        { rethrowBadRequest: pass.after !== null && !restartedStaleCursor },
      );
    } catch (error) {
      // A stored cursor can go stale during a long pause: list the pass again from the newest lead.
      if (error instanceof GraphApiError && error.kind === "bad_request") {
        deps.log.warn("reconcile cursor refused, listing the form again", {
          formId: form.formId,
          error: error.message,
        });
        restartedStaleCursor = true;
        pass.after = null;
        continue;
      }
      throw error;
    }
    if (listed === null) {
      return outcome.pageProblems.some((problem) => problem.pageId === form.pageId)
        ? "refused"
        : "skipped";
    }
    const inserted = await storeLeads(deps, form, listed.leads, outcome);
    outcome.scanned += listed.leads.length;
    outcome.inserted += inserted;
    progress.leadsFound += listed.leads.length;
    progress.inserted += inserted;
    pass.after = listed.after;
    if (listed.after === null) break;
    await saveReconcileForm(deps.kv, form);
    await keepLock(deps);
  }
  form.watermark = pass.startedAt;
  form.sweptStatus = form.status;
  form.pass = null;
  await saveReconcileForm(deps.kv, form);
  await keepLock(deps);
  return "done";
}

/**
 * Inserts leads through the store's dedupe; returns how many were new. A lead that cannot be made
 * into a stored lead, or cannot be stored, is named in `outcome.errors` and the others go on: one
 * bad lead never holds back its form. (A lead too large for one KV value is not one of them: the
 * store shortens its answers, flags it and raises an alert naming it.)
 */
async function storeLeads(
  deps: SweepDeps,
  form: ReconcileForm,
  graphLeads: GraphLead[],
  outcome: SweepOutcome,
): Promise<number> {
  if (graphLeads.length === 0) return 0;
  const now = deps.now();
  const leads = [];
  for (const graphLead of graphLeads) {
    try {
      leads.push(leadFromGraph(graphLead, form, now));
    } catch (error) {
      const problem = `Form ${form.formId}: Meta listed a lead Leadline cannot store ` +
        `(id ${JSON.stringify(String(graphLead?.id ?? "")).slice(0, 40)}): ${
          (error as Error).message
        }`;
      deps.log.warn("reconcile skipped a listed lead", { formId: form.formId, error: problem });
      outcome.errors.push(problem);
    }
  }
  const result = await deps.store.insertLeads(leads);
  for (const { lead, error } of result.failed) {
    const problem =
      `Form ${form.formId}: Meta lead ${lead.leadgenId} was not stored: ${error.message}`;
    deps.log.error("reconcile could not store a lead", { formId: form.formId, error: problem });
    outcome.errors.push(problem);
  }
  for (const lead of result.inserted) {
    if (lead.answersTruncated) {
      deps.log.warn("reconcile stored a lead with shortened answers", {
        formId: form.formId,
        leadId: lead.id,
        leadgenId: lead.leadgenId,
        answersTruncated: lead.answersTruncated,
      });
    }
  }
  // A webhook lead still without its answers (its fetch failed for good, or is slow, or its job
  // was lost to a crash before the lead was marked) gets them from the listing; a fetch job that
  // runs later finds the lead fetched and makes no Graph call.
  for (const duplicate of result.duplicates) {
    const stored = await deps.store.getLeadByLeadgenId(duplicate.leadgenId!);
    if (!stored || stored.details === "fetched") continue;
    const graphLead = graphLeads.find((item) => String(item.id) === duplicate.leadgenId)!;
    await deps.store.updateLead(
      stored.id,
      (lead) =>
        lead.details !== "fetched"
          ? applyLeadDetails(lead, graphLeadDetails(graphLead, form), deps.now())
          : null,
    );
  }
  return result.inserted.length;
}

async function keepLock(deps: SweepDeps): Promise<void> {
  if (!(await deps.keepLock())) {
    throw new SweepStop(null, "Sweep stopped: another process took over the sync lock");
  }
}

/**
 * Runs one Graph call with one quick retry of a transient failure. Rate limits and repeated
 * transient failures stop the sweep (a pause); token and permission errors are recorded for the
 * page and give null; a form or page Meta does not know gives null with an error noted.
 */
async function withGraph<T>(
  deps: SweepDeps,
  outcome: SweepOutcome,
  pageId: string,
  call: () => Promise<T>,
  options: { rethrowBadRequest?: boolean } = {},
): Promise<T | null> {
  for (let attempt = 1;; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      if (error.kind === "transient" && attempt === 1) {
        await new Promise((resolve) => setTimeout(resolve, deps.transientRetryDelayMs));
        continue;
      }
      if (error.kind === "rate_limit" || error.kind === "transient") {
        const wait = error.retryAfterMs ??
          (error.kind === "rate_limit" ? deps.rateLimitPauseMs : deps.transientPauseMs);
        const until = deps.now().getTime() + wait;
        const what = error.kind === "rate_limit" ? "a Meta rate limit" : "Meta errors";
        deps.log.warn("reconcile paused", { pageId, kind: error.kind, error: error.message });
        throw new SweepStop(
          until,
          `Sync paused by ${what} (page ${pageId}); it resumes after ${
            new Date(until).toISOString()
          }: ${error.message}`,
        );
      }
      if (error.kind === "token" || error.kind === "permission") {
        deps.log.warn("reconcile refused for page", { pageId, kind: error.kind });
        if (!outcome.pageProblems.some((problem) => problem.pageId === pageId)) {
          outcome.pageProblems.push({
            pageId,
            kind: error.kind,
            message: error.message,
            at: deps.now().toISOString(),
          });
        }
        return null;
      }
      if (error.kind === "bad_request" && options.rethrowBadRequest) throw error;
      deps.log.warn("reconcile skipped a Graph object", { pageId, error: error.message });
      outcome.errors.push(`Page ${pageId}: ${error.message}`);
      return null;
    }
  }
}
