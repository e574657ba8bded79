// Coalesces lead reads of one page that are asked for together into Meta's multi-id reads.

import { GraphApiError } from "./graph_errors.ts";
import { type GraphClient, MULTI_READ_MAX } from "./graph_client.ts";
import type { GraphLead } from "./lead_fields.ts";

/** Reads one lead; what a fetch job needs of the Graph API. */
export interface LeadReader {
  getLead(leadgenId: string, pageId: string): Promise<GraphLead>;
}

/** Options of `createLeadBatcher`. */
export interface LeadBatcherOptions {
  /** Leads per request at most (default and maximum 50, Meta's limit). */
  maxBatch?: number;
  /** Requests in flight per page at once (default 4); more reads wait and go together. */
  maxInFlight?: number;
}

interface Waiting {
  leadgenId: string;
  resolve(lead: GraphLead): void;
  reject(error: unknown): void;
}

interface PageQueue {
  waiting: Waiting[];
  inFlight: number;
  scheduled: boolean;
}

/**
 * A lead reader over `graph` that sends the reads of one page asked for in the same moment (or
 * while that page's requests are all in flight) as one `GET /?ids=…` request, up to 50 leads.
 * A read asked for alone is a plain `GET /{leadgen_id}`, as before, so a quiet system answers as
 * fast as ever; a burst costs one request per 50 leads instead of one per lead (Meta still counts
 * each id against its rate limits). Meta fails a whole multi-id read when one id cannot be read:
 * then, unless the failure is one a retry may cure (network, 5xx, rate limit), which every lead
 * of the request shares, each lead is read alone so that it gets its own answer or error.
 */
export function createLeadBatcher(
  graph: GraphClient,
  options: LeadBatcherOptions = {},
): LeadReader {
  const maxBatch = Math.max(1, Math.min(options.maxBatch ?? MULTI_READ_MAX, MULTI_READ_MAX));
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const pages = new Map<string, PageQueue>();

  function flush(pageId: string, page: PageQueue) {
    page.scheduled = false;
    while (page.waiting.length > 0 && page.inFlight < maxInFlight) {
      const batch = page.waiting.splice(0, maxBatch);
      page.inFlight++;
      send(pageId, batch).finally(() => {
        page.inFlight--;
        if (page.waiting.length > 0) flush(pageId, page);
        else if (page.inFlight === 0) pages.delete(pageId);
      });
    }
  }

  async function readAlone(pageId: string, item: Waiting) {
    try {
      item.resolve(await graph.getLead(item.leadgenId, pageId));
    } catch (error) {
      item.reject(error);
    }
  }

  async function send(pageId: string, batch: Waiting[]) {
    const ids = [...new Set(batch.map((item) => item.leadgenId))];
    if (ids.length === 1 || !graph.getLeads) {
      await Promise.all(batch.map((item) => readAlone(pageId, item)));
      return;
    }
    let leads: Record<string, GraphLead>;
    try {
      leads = await graph.getLeads(ids, pageId);
    } catch (error) {
      if (!(error instanceof GraphApiError) || error.retryable) {
        for (const item of batch) item.reject(error);
        return;
      }
      // One lead Meta will not give (deleted, no permission) must not cost the others theirs.
      await Promise.all(batch.map((item) => readAlone(pageId, item)));
      return;
    }
    await Promise.all(batch.map((item) => {
      const lead = leads[item.leadgenId];
      if (lead && typeof lead === "object") return item.resolve(lead);
      return readAlone(pageId, item);
    }));
  }

  return {
    getLead(leadgenId, pageId) {
      return new Promise<GraphLead>((resolve, reject) => {
        let page = pages.get(pageId);
        if (!page) pages.set(pageId, page = { waiting: [], inFlight: 0, scheduled: false });
        page.waiting.push({ leadgenId, resolve, reject });
        if (!page.scheduled && page.inFlight < maxInFlight) {
          page.scheduled = true;
          // Reads asked for in the same tick (jobs started by one group commit) go together.
          const queued = page;
          queueMicrotask(() => flush(pageId, queued));
        }
      });
    },
  };
}
