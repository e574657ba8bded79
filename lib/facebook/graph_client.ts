// Graph API client for lead ads: fetch a lead, a form, a form's leads and a page's forms.

import { GraphApiError } from "./graph_errors.ts";
import { createGraphRequest } from "./graph_http.ts";
import type { GraphLead } from "./lead_fields.ts";
import { graphCallDuration, graphCalls } from "../metrics/app_metrics.ts";

/** Options for createGraphClient. */
export interface GraphClientOptions {
  /** E.g. "https://graph.facebook.com" or a simulator's url. */
  baseUrl: string;
  /** E.g. "v21.0". */
  version: string;
  appSecret: string;
  /** The page access token for a page, or null when none is configured. */
  tokenForPage(pageId: string): string | null;
  /** Per-call timeout; default 10 000 ms. */
  timeoutMs?: number;
}

/** The page's token: its own from META_PAGE_TOKENS, else META_ACCESS_TOKEN. */
export function pageTokenFor(
  meta: { accessToken: string | null; pageTokens: Record<string, string> },
  pageId: string,
): string | null {
  return Object.hasOwn(meta.pageTokens, pageId) ? meta.pageTokens[pageId] : meta.accessToken;
}

/** A lead form's identity and state. */
export interface GraphForm {
  id: string;
  name: string | null;
  /** E.g. "ACTIVE", "ARCHIVED". */
  status: string | null;
}

/** Options for listFormLeads. */
export interface ListFormLeadsOptions {
  /** Only leads created after this unix time (seconds). */
  since?: number;
  /** Cursor from a previous page's `after`. */
  after?: string;
  /** Page size; default 100. */
  limit?: number;
}

/** A Graph API client bound to one app; each call picks the page's token. */
export interface GraphClient {
  /** Fetches one lead with its answers and ad attribution. */
  getLead(leadgenId: string, pageId: string): Promise<GraphLead>;
  /**
   * Fetches up to 50 leads of one page in one request (Meta's multi-id read, `GET /?ids=…`);
   * resolves with each lead by its id. Meta fails the whole request when one id cannot be read.
   * Optional, so a stand-in client may leave it out (callers then use getLead).
   */
  getLeads?(leadgenIds: string[], pageId: string): Promise<Record<string, GraphLead>>;
  /** Fetches a form's name and status. */
  getForm(formId: string, pageId: string): Promise<GraphForm>;
  /** Lists one page of a form's leads, newest first; `after` is null on the last page. */
  listFormLeads(
    formId: string,
    pageId: string,
    options?: ListFormLeadsOptions,
  ): Promise<{ leads: GraphLead[]; after: string | null }>;
  /** Lists one page of a page's lead forms; `after` is null on the last page. */
  listPageForms(
    pageId: string,
    options?: { after?: string },
  ): Promise<{ forms: GraphForm[]; after: string | null }>;
}

/** The lead fields Leadline asks for. */
export const LEAD_FIELDS = [
  "id",
  "created_time",
  "field_data",
  "ad_id",
  "ad_name",
  "adset_id",
  "adset_name",
  "campaign_id",
  "campaign_name",
  "form_id",
  "is_organic",
  "platform",
  "custom_disclaimer_responses",
].join(",");

const FORM_FIELDS = "id,name,status";
/** Ids one multi-id read may name (Meta's limit). */
export const MULTI_READ_MAX = 50;
const DEFAULT_PAGE_SIZE = 100;

/** Throws a bad_request GraphApiError unless `value` is a Meta ID (a digit string). */
export function assertId(value: string, what: string): void {
  if (typeof value !== "string" || !/^\d{1,30}$/.test(value)) {
    throw new GraphApiError({
      kind: "bad_request",
      message: `Cannot call the Graph API: ${what} must be a digit string`,
    });
  }
}

/** A form object from Graph JSON. */
export function toForm(value: unknown): GraphForm {
  const form = (value ?? {}) as Record<string, unknown>;
  return {
    id: String(form.id ?? ""),
    name: typeof form.name === "string" ? form.name : null,
    status: typeof form.status === "string" ? form.status : null,
  };
}

/** Reads the next-page cursor: Meta sends `paging.next` only when there is another page. */
export function nextCursor(body: Record<string, unknown>): string | null {
  const paging = body.paging as { next?: unknown; cursors?: { after?: unknown } } | undefined;
  if (typeof paging?.next !== "string") return null;
  const after = paging.cursors?.after;
  return typeof after === "string" && after !== "" ? after : null;
}

/**
 * The endpoint a call is counted under: ids become `{id}` (they would make a series per lead), a
 * bare object is named by the fields asked for: `lead`, `form`, or `{id}`; a multi-id read of
 * leads (`GET /?ids=…`) is `leads`.
 */
function endpointOf(path: string, params: Record<string, string>): string {
  if (path === "" && params.ids !== undefined) {
    return params.fields === LEAD_FIELDS ? "leads" : "{ids}";
  }
  const template = path.split("/").map((part) => /^\d+$/.test(part) ? "{id}" : part).join("/");
  if (template !== "{id}") return template;
  return params.fields === LEAD_FIELDS ? "lead" : params.fields === FORM_FIELDS ? "form" : template;
}

/**
 * Creates a Graph API client. Every call sends `access_token` and `appsecret_proof`, times out
 * after `timeoutMs`, parses IDs exactly, and throws GraphApiError (a page without a token gives
 * kind "token"; network failures and timeouts give kind "transient").
 */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const request = createGraphRequest(options);

  // Every call is counted by endpoint, outcome and Meta's error code, and timed (lib/metrics).
  async function call(
    pageId: string,
    path: string,
    params: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    const endpoint = endpointOf(path, params);
    const started = performance.now();
    let outcome = "ok";
    let code = "";
    try {
      return await send(pageId, path, params);
    } catch (error) {
      outcome = error instanceof GraphApiError ? error.kind : "error";
      code = error instanceof GraphApiError && error.code !== null ? String(error.code) : "";
      throw error;
    } finally {
      graphCalls.inc({ endpoint, outcome, code });
      graphCallDuration.observe((performance.now() - started) / 1000, { endpoint });
    }
  }

  function send(
    pageId: string,
    path: string,
    params: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    assertId(pageId, "page id");
    const token = options.tokenForPage(pageId);
    if (!token) {
      throw new GraphApiError({
        kind: "token",
        message: `Graph API token: no access token is configured for page ${pageId}`,
      });
    }
    return request(token, path, params);
  }

  return {
    async getLead(leadgenId, pageId) {
      assertId(leadgenId, "leadgen id");
      const lead = await call(pageId, leadgenId, { fields: LEAD_FIELDS });
      return lead as unknown as GraphLead;
    },

    async getLeads(leadgenIds, pageId) {
      if (leadgenIds.length === 0 || leadgenIds.length > MULTI_READ_MAX) {
        throw new GraphApiError({
          kind: "bad_request",
          message: `Cannot call the Graph API: a multi-id read takes 1 to ${MULTI_READ_MAX} ids`,
        });
      }
      for (const id of leadgenIds) assertId(id, "leadgen id");
      const body = await call(pageId, "", { ids: leadgenIds.join(","), fields: LEAD_FIELDS });
      return body as unknown as Record<string, GraphLead>;
    },

    async getForm(formId, pageId) {
      assertId(formId, "form id");
      return toForm(await call(pageId, formId, { fields: FORM_FIELDS }));
    },

    async listFormLeads(formId, pageId, listOptions = {}) {
      assertId(formId, "form id");
      const params: Record<string, string> = {
        fields: LEAD_FIELDS,
        limit: String(listOptions.limit ?? DEFAULT_PAGE_SIZE),
      };
      if (listOptions.since !== undefined) {
        params.filtering = JSON.stringify([
          { field: "time_created", operator: "GREATER_THAN", value: Math.floor(listOptions.since) },
        ]);
      }
      if (listOptions.after) params.after = listOptions.after;
      const body = await call(pageId, `${formId}/leads`, params);
      const data = Array.isArray(body.data) ? body.data : [];
      return { leads: data as GraphLead[], after: nextCursor(body) };
    },

    async listPageForms(pageId, listOptions = {}) {
      const params: Record<string, string> = { fields: FORM_FIELDS, limit: "100" };
      if (listOptions.after) params.after = listOptions.after;
      const body = await call(pageId, `${pageId}/leadgen_forms`, params);
      const data = Array.isArray(body.data) ? body.data : [];
      return { forms: data.map(toForm), after: nextCursor(body) };
    },
  };
}
