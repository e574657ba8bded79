// Lead quality back to Meta (Conversions API for CRM): when a Meta lead reaches a stage an admin
// mapped (e.g. qualified), a durable job reports it once per lead and stage to the dataset in
// META_DATASET_ID, and the lead's timeline says so. Off until META_DATASET_ID is set.

import type { Config } from "../config.ts";
import { GraphApiError } from "../facebook/graph_errors.ts";
import { PermanentJobError, RetryableJobError } from "../jobs/errors.ts";
import type { JobContext, JobQueue } from "../jobs/queue.ts";
import { commitAtomic } from "../kv_commit.ts";
import type { LeadEvent } from "../lead_events/events.ts";
import type { LeadEventFeed, SinkWrites } from "../lead_events/feed.ts";
import type { Lead, LeadStatus } from "../leads/model.ts";
import { LeadNotFoundError, type LeadStore } from "../leads/store.ts";
import type { Logger } from "../log.ts";
import { CAPI_REPORTS_PREFIX, capiReportKey } from "./keys.ts";
import { sendCrmEvent } from "./send.ts";
import { type CapiSettings, getCapiSettings, saveCapiSettings } from "./settings.ts";

/** The job type of one report. */
export const CAPI_REPORT = "capi.report";

/** One lead's stage reported (or being reported) to Meta. */
export interface CapiReport {
  leadId: string;
  leadgenId: string;
  status: LeadStatus;
  eventName: string;
  /** Unix seconds: when the lead reached the stage. */
  eventTime: number;
  state: "queued" | "sent" | "failed";
  queuedAt: string;
  sentAt: string | null;
  error: string | null;
}

/** The Conversions API as routes see it. */
export interface CapiService {
  /** The dataset events go to; null while the Conversions API is off. */
  datasetId: string | null;
  getSettings(): Promise<CapiSettings>;
  saveSettings(settings: CapiSettings): Promise<void>;
  /** The latest reports, newest lead first. */
  listReports(limit?: number): Promise<CapiReport[]>;
}

/** Where reports go: the Graph API (the simulator in demo mode) and the credentials they use. */
export interface CapiGraph {
  /** The Graph API's base URL. */
  baseUrl: string;
  /** The app secret that signs calls (`appsecret_proof`). */
  appSecret: string;
  /** The access token a report on a lead of `pageId` goes with; null when none is configured. */
  accessToken(pageId: string | null): string | null;
}

/** Registers the report job and adds the sink to the lead event feed (when a dataset is set). */
export function createCapi(options: {
  config: Config;
  kv: Deno.Kv;
  store: LeadStore;
  graph: CapiGraph;
  jobs: JobQueue;
  feed: LeadEventFeed;
  log: Logger;
  now?: () => Date;
}): CapiService {
  const { config, kv, store, graph, jobs } = options;
  const log = options.log.child({ job: CAPI_REPORT });
  const now = options.now ?? (() => new Date());
  const datasetId = config.beyondTab.datasetId;

  function target(lead: Lead) {
    const accessToken = graph.accessToken(lead.pageId);
    if (!accessToken) {
      throw new PermanentJobError(
        "no access token is configured for the Conversions API (set META_ACCESS_TOKEN)",
      );
    }
    return {
      graphBase: graph.baseUrl,
      version: config.graphApiVersion,
      datasetId: datasetId!,
      accessToken,
      appSecret: graph.appSecret,
    };
  }

  async function note(leadId: string, event: string, detail: string) {
    const at = now().toISOString();
    try {
      await store.updateLead(leadId, (lead) => ({
        ...lead,
        timeline: [...lead.timeline, { at, event, detail }],
      }));
    } catch (error) {
      if (!(error instanceof LeadNotFoundError)) throw error;
    }
  }

  async function setReport(leadId: string, status: string, changes: Partial<CapiReport>) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const entry = await kv.get<CapiReport>(capiReportKey(leadId, status));
      if (!entry.value) return;
      const op = kv.atomic().check(entry).set(entry.key, { ...entry.value, ...changes });
      if ((await commitAtomic(op)).ok) return;
    }
  }

  async function report(raw: unknown, ctx: JobContext): Promise<void> {
    const { leadId, status } = raw as { leadId: string; status: LeadStatus };
    const entry = await kv.get<CapiReport>(capiReportKey(leadId, status));
    const queued = entry.value;
    if (!queued || queued.state !== "queued" || datasetId === null) return;
    const lead = await store.getLead(leadId);
    if (!lead) return;
    try {
      await sendCrmEvent(target(lead), {
        eventName: queued.eventName,
        eventTime: queued.eventTime,
        leadgenId: queued.leadgenId,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable = error instanceof GraphApiError && error.retryable;
      if (retryable && ctx.attempt < config.jobs.maxAttempts) {
        throw new RetryableJobError(message, {
          retryAfterMs: (error as GraphApiError).retryAfterMs ?? undefined,
        });
      }
      await setReport(leadId, status, { state: "failed", error: message.slice(0, 300) });
      await note(leadId, "not reported to Meta", `${queued.eventName}: ${message}`);
      log.warn("Conversions API report failed", { leadId, status, error: message });
      throw new PermanentJobError(message);
    }
    await setReport(leadId, status, { state: "sent", sentAt: now().toISOString(), error: null });
    await note(leadId, "reported to Meta", `${queued.eventName} (Conversions API)`);
  }

  if (datasetId !== null) {
    jobs.register(CAPI_REPORT, report);
    options.feed.addSink("capi", {
      async prepare(lead: Lead, events: LeadEvent[]): Promise<SinkWrites | null> {
        if (lead.source !== "meta" || lead.leadgenId === null) return null;
        const { stages } = await getCapiSettings(kv);
        const reached = new Map<LeadStatus, LeadEvent>();
        for (const event of events) {
          const change = event.change;
          if (change.type === "lead.status_changed") reached.set(change.to, event);
          else if (change.type === "lead.created") reached.set("new", event);
        }
        const writes: { entry: Deno.KvEntryMaybe<CapiReport>; report: CapiReport }[] = [];
        for (const [status, event] of reached) {
          const eventName = stages[status];
          if (!eventName) continue;
          const entry = await kv.get<CapiReport>(capiReportKey(lead.id, status));
          // Once per lead and stage: a lead that leaves the stage and comes back is not sent twice.
          if (entry.versionstamp !== null) continue;
          writes.push({
            entry,
            report: {
              leadId: lead.id,
              leadgenId: lead.leadgenId,
              status,
              eventName,
              eventTime: Math.floor(Date.parse(event.at) / 1000),
              state: "queued",
              queuedAt: now().toISOString(),
              sentAt: null,
              error: null,
            },
          });
        }
        if (writes.length === 0) return null;
        return {
          apply(op) {
            for (const { entry, report } of writes) {
              op.check(entry).set(entry.key, report);
              jobs.addJob(op, {
                type: CAPI_REPORT,
                key: `${report.leadId}:${report.status}`,
                payload: { leadId: report.leadId, status: report.status },
              });
            }
          },
          afterCommit() {
            jobs.kick();
          },
        };
      },
    });
  }

  return {
    datasetId,
    getSettings: () => getCapiSettings(kv),
    saveSettings: (settings) => saveCapiSettings(kv, settings),
    async listReports(limit = 20) {
      const out: CapiReport[] = [];
      for await (
        const entry of kv.list<CapiReport>({ prefix: CAPI_REPORTS_PREFIX }, {
          reverse: true,
          limit: Math.max(1, Math.min(limit, 200)),
        })
      ) out.push(entry.value);
      return out;
    },
  };
}
