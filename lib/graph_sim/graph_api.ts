// Answers Graph API requests (leads, forms, pages, tokens, subscriptions) from the simulator's state, the Meta way.

import { hmacSha256Hex, randomToken } from "../crypto.ts";
import { parseDatasetEvents, type SimDatasets } from "./datasets.ts";
import { oauthError, type SimAuth } from "./auth.ts";
import { faultError, type FaultList, type SimCallKind, type SimError } from "./faults.ts";
import { fieldDataOf, type SimForm, type SimLead, type SimState } from "./state.ts";
import { idsToNumbers } from "./webhook.ts";

/** What the Graph API handler needs from the simulator. */
export interface GraphApiContext {
  state: SimState;
  /** The app, its tokens and the pages' subscriptions. */
  auth: SimAuth;
  faults: FaultList;
  appSecret: string;
  /** Write IDs in Graph responses as raw JSON numbers. */
  idsAsNumbers: boolean;
  /** Counts a Graph call of this kind (a multi-id read counts one per id, as Meta counts it). */
  countCall(kind: SimCallKind): void;
  /** Counts one HTTP request to the Graph API. */
  countRequest(): void;
  /** Counts a lead's answers sent in a successful response. */
  countServed(leadId: string): void;
  /** Aborted when the simulator closes, so slow answers end. */
  closing: AbortSignal;
  /** Conversions API events received (`POST /{dataset_id}/events`). */
  datasets: SimDatasets;
}

const VERSION = /^v\d+\.\d+$/;
const DEFAULT_LEAD_FIELDS = ["created_time", "id", "field_data"];
const DEFAULT_FORM_FIELDS = ["id", "locale", "name", "status"];

/** Formats unix seconds as Meta does: "2026-11-28T13:21:00+0000". */
export function graphTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "+0000");
}

function splitPath(pathname: string): { version: string | null; segments: string[] } {
  const segments = pathname.split("/").filter((part) => part !== "");
  const version = segments[0] !== undefined && VERSION.test(segments[0]) ? segments.shift()! : null;
  return { version, segments };
}

/** Which kind of Graph call a path is, for counters and fault matching. */
export function callKind(state: SimState, pathname: string): SimCallKind {
  const { segments } = splitPath(pathname);
  if (segments.length === 1) {
    if (segments[0] === "debug_token") return "debug_token";
    if (state.form(segments[0])) return "form";
    if (state.page(segments[0])) return "page";
    // Unknown ids are looked up as leads: that is what a fetch job does.
    return /^\d+$/.test(segments[0]) ? "lead" : "other";
  }
  if (segments.length === 2 && segments[1] === "leads") return "form_leads";
  if (segments.length === 2 && segments[1] === "leadgen_forms") return "page_forms";
  if (segments.length === 2 && segments[1] === "subscribed_apps") return "subscribed_apps";
  if (segments.length === 2 && segments[1] === "events") return "dataset_events";
  if (segments.length === 2 && segments[0] === "me" && segments[1] === "accounts") {
    return "accounts";
  }
  return "other";
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

// Until `release` settles (either way) or the simulator closes.
function held(release: Promise<unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", done, { once: true });
    release.then(done, done);
    function done() {
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function json(
  context: GraphApiContext,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const text = JSON.stringify(body);
  return new Response(context.idsAsNumbers ? idsToNumbers(text) : text, {
    status,
    headers: { "content-type": "application/json; charset=UTF-8", ...headers },
  });
}

function errorResponse(
  context: GraphApiContext,
  error: SimError,
  headers: Record<string, string> = {},
): Response {
  return json(
    context,
    {
      error: {
        message: error.message,
        type: error.type,
        code: error.code,
        ...(error.subcode !== undefined ? { error_subcode: error.subcode } : {}),
        ...(error.isTransient ? { is_transient: true } : {}),
        fbtrace_id: `A${randomToken(16).replace(/[-_]/g, "x")}`,
      },
    },
    error.status,
    headers,
  );
}

function notFound(context: GraphApiContext, id: string): Response {
  return errorResponse(context, {
    status: 400,
    code: 100,
    subcode: 33,
    type: "GraphMethodException",
    isTransient: false,
    message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded ` +
      "due to missing permissions, or does not support this operation. Please read the Graph " +
      "API documentation at https://developers.facebook.com/docs/graph-api",
  });
}

function badParameter(context: GraphApiContext, message: string): Response {
  return errorResponse(context, {
    status: 400,
    code: 100,
    type: "OAuthException",
    isTransient: false,
    message: `(#100) ${message}`,
  });
}

function requestedFields(url: URL, defaults: string[]): Set<string> {
  const raw = url.searchParams.get("fields");
  if (!raw) return new Set(defaults);
  const fields = raw.replace(/\{[^}]*\}/g, "").split(",").map((field) => field.trim());
  return new Set(["id", ...fields.filter((field) => field !== "")]);
}

function pick(all: Record<string, unknown>, fields: Set<string>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(all)) {
    if (fields.has(name) && value !== undefined) picked[name] = value;
  }
  return picked;
}

function leadJson(lead: SimLead, fields: Set<string>): Record<string, unknown> {
  return pick({
    id: lead.id,
    created_time: graphTime(lead.createdTime),
    ad_id: lead.adId ?? undefined,
    ad_name: lead.adName ?? undefined,
    adset_id: lead.adsetId ?? undefined,
    adset_name: lead.adsetName ?? undefined,
    campaign_id: lead.campaignId ?? undefined,
    campaign_name: lead.campaignName ?? undefined,
    form_id: lead.formId,
    is_organic: lead.isOrganic,
    platform: lead.platform,
    field_data: fieldDataOf(lead),
    custom_disclaimer_responses: [],
  }, fields);
}

function formJson(state: SimState, form: SimForm, fields: Set<string>): Record<string, unknown> {
  return pick({
    id: form.id,
    name: form.name,
    status: form.status,
    locale: form.locale,
    page_id: form.pageId,
    leads_count: fields.has("leads_count") ? state.formLeads(form.id, {}).length : undefined,
  }, fields);
}

function encodeCursor(position: [number, number] | number): string {
  return btoa(JSON.stringify(position)).replace(/=+$/, "");
}

function decodeCursor(cursor: string): unknown {
  try {
    return JSON.parse(atob(cursor));
  } catch {
    return null;
  }
}

function parseLimit(url: URL, fallback: number): number | null {
  const raw = url.searchParams.get("limit");
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return null;
  return Math.min(Number(raw), 1000);
}

function nextUrl(url: URL, after: string): string {
  const next = new URL(url);
  next.searchParams.set("after", after);
  next.searchParams.delete("before");
  return next.toString();
}

function pagedJson(
  context: GraphApiContext,
  url: URL,
  data: unknown[],
  cursors: string[],
  hasMore: boolean,
): Response {
  if (data.length === 0) return json(context, { data: [] });
  const after = cursors[cursors.length - 1];
  return json(context, {
    data,
    paging: {
      cursors: { before: cursors[0], after },
      ...(hasMore ? { next: nextUrl(url, after) } : {}),
    },
  });
}

/** Reads `filtering=[{field:"time_created",operator,value}]` into since/until bounds. */
function timeFilter(raw: string | null): { since?: number; until?: number } | string {
  if (raw === null) return {};
  let rules: unknown;
  try {
    rules = JSON.parse(raw);
  } catch {
    return "Param filtering must be a JSON array";
  }
  if (!Array.isArray(rules)) return "Param filtering must be a JSON array";
  const bounds: { since?: number; until?: number } = {};
  for (const rule of rules) {
    const { field, operator, value } = (rule ?? {}) as Record<string, unknown>;
    const time = Number(value);
    if (field !== "time_created" || !Number.isFinite(time)) {
      return `Filtering field ${JSON.stringify(field)} is not supported`;
    }
    if (operator === "GREATER_THAN") bounds.since = time;
    else if (operator === "GREATER_THAN_OR_EQUAL") bounds.since = time - 1;
    else if (operator === "LESS_THAN") bounds.until = time;
    else return `Filtering operator ${JSON.stringify(operator)} is not supported`;
  }
  return bounds;
}

function formLeads(context: GraphApiContext, url: URL, form: SimForm): Response {
  const limit = parseLimit(url, 25);
  if (limit === null) return badParameter(context, "Param limit must be a positive integer");
  const filter = timeFilter(url.searchParams.get("filtering"));
  if (typeof filter === "string") return badParameter(context, filter);
  const afterRaw = url.searchParams.get("after");
  const after = afterRaw === null ? null : decodeCursor(afterRaw);
  if (
    afterRaw !== null &&
    !(Array.isArray(after) && after.length === 2 && after.every(Number.isFinite))
  ) {
    return badParameter(context, "Param after is not a valid cursor");
  }
  const rows = context.state.formLeads(form.id, {
    ...filter,
    after: after as [number, number] | null,
  });
  const page = rows.slice(0, limit);
  const fields = requestedFields(url, DEFAULT_LEAD_FIELDS);
  return pagedJson(
    context,
    url,
    page.map((row) => leadJson(row.lead, fields)),
    page.map((row) => encodeCursor(row.position)),
    rows.length > limit,
  );
}

/** `GET /?ids=…`: an object keyed by id; one unknown id fails the whole request, as on Meta. */
function multiRead(context: GraphApiContext, url: URL, ids: string[]): Response {
  if (ids.length === 0) return badParameter(context, "Param ids must name at least one object");
  if (ids.length > 50) return badParameter(context, "Param ids can name at most 50 objects");
  const missing = ids.filter((id) => !context.state.lead(id));
  if (missing.length > 0) {
    return errorResponse(context, {
      status: 404,
      code: 803,
      type: "OAuthException",
      isTransient: false,
      message: `(#803) Some of the aliases you requested do not exist: ${missing.join(",")}`,
    });
  }
  const fields = requestedFields(url, DEFAULT_LEAD_FIELDS);
  const body: Record<string, unknown> = {};
  for (const id of ids) {
    body[id] = leadJson(context.state.lead(id)!, fields);
    context.countServed(id);
  }
  return json(context, body);
}

function pageForms(context: GraphApiContext, url: URL, pageId: string): Response {
  const page = context.state.page(pageId);
  if (!page) return notFound(context, pageId);
  const limit = parseLimit(url, 25);
  if (limit === null) return badParameter(context, "Param limit must be a positive integer");
  const afterRaw = url.searchParams.get("after");
  const after = afterRaw === null ? -1 : decodeCursor(afterRaw);
  if (typeof after !== "number" || !Number.isInteger(after)) {
    return badParameter(context, "Param after is not a valid cursor");
  }
  const start = after + 1;
  const forms = page.forms.slice(start, start + limit);
  const fields = requestedFields(url, DEFAULT_FORM_FIELDS);
  return pagedJson(
    context,
    url,
    forms.map((form) => formJson(context.state, form, fields)),
    forms.map((_, index) => encodeCursor(start + index)),
    page.forms.length > start + limit,
  );
}

/** The appsecret_proof the simulator expects, computed once per token. */
const expectedProofs = new Map<string, Promise<string>>();

function expectedProof(appSecret: string, token: string): Promise<string> {
  const cacheKey = `${appSecret.length}:${appSecret}${token}`;
  let proof = expectedProofs.get(cacheKey);
  if (!proof) {
    if (expectedProofs.size > 64) expectedProofs.clear();
    expectedProofs.set(cacheKey, proof = hmacSha256Hex(appSecret, token));
  }
  return proof;
}

/** The token a request carries (query string, or a form body on POST). */
function tokenOf(url: URL): string | null {
  return url.searchParams.get("access_token");
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function checkProof(context: GraphApiContext, url: URL, token: string) {
  const proof = url.searchParams.get("appsecret_proof");
  if (proof !== await expectedProof(context.appSecret, token)) {
    return oauthError(
      190,
      proof
        ? "Invalid appsecret_proof provided in the API argument"
        : "API calls from the server require an appsecret_proof argument",
    );
  }
  return null;
}

async function checkAuth(context: GraphApiContext, url: URL): Promise<SimError | null> {
  const token = tokenOf(url);
  if (!token) {
    return {
      status: 400,
      code: 104,
      type: "OAuthException",
      isTransient: false,
      message: "An access token is required to request this resource.",
    };
  }
  return context.auth.refusal(token, nowSeconds()) ?? await checkProof(context, url, token);
}

/** Meta answers a call that lacks a permission with (#200) and the permission's name. */
function requireScope(context: GraphApiContext, url: URL, scope: string): SimError | null {
  const state = context.auth.state(tokenOf(url) ?? "");
  if (state && state.scopes.includes(scope)) return null;
  return oauthError(200, `(#200) Requires ${scope} permission to manage the object`);
}

function pageOfCall(state: SimState, segments: string[]): string {
  const id = segments[0] ?? "";
  return state.lead(id)?.pageId ?? state.form(id)?.pageId ?? state.page(id)?.id ?? "0";
}

function bucHeader(pageId: string, minutes: number): Record<string, string> {
  return {
    "x-business-use-case-usage": JSON.stringify({
      [pageId]: [{
        type: "pages",
        call_count: 100,
        total_cputime: 100,
        total_time: 100,
        estimated_time_to_regain_access: minutes,
      }],
    }),
  };
}

/**
 * `GET /debug_token?input_token=…&access_token=<app_id>|<app_secret>` (or a valid token of the
 * app): the input token's metadata. A bad input token is not an error of the call: Meta answers
 * 200 with `is_valid: false` and the reason in `data.error`.
 */
async function debugToken(context: GraphApiContext, url: URL): Promise<Response> {
  const accessToken = tokenOf(url);
  const appToken = `${context.auth.appId}|${context.appSecret}`;
  if (!accessToken) {
    return errorResponse(context, {
      status: 400,
      code: 104,
      type: "OAuthException",
      isTransient: false,
      message: "An access token is required to request this resource.",
    });
  }
  if (accessToken !== appToken) {
    const refused = context.auth.refusal(accessToken, nowSeconds());
    if (refused) return errorResponse(context, refused);
  }
  const proofError = await checkProof(context, url, accessToken);
  if (proofError) return errorResponse(context, proofError);
  const input = url.searchParams.get("input_token");
  if (!input) return badParameter(context, "The parameter input_token is required");
  const state = context.auth.state(input);
  if (state === null) {
    return json(context, {
      data: {
        error: { code: 190, message: "Invalid OAuth access token - Cannot parse access token" },
        is_valid: false,
        scopes: [],
      },
    });
  }
  const refusal = context.auth.refusal(input, nowSeconds());
  return json(context, {
    data: {
      app_id: context.auth.appId,
      type: state.type,
      application: context.auth.appName,
      data_access_expires_at: state.dataAccessExpiresAt,
      expires_at: state.expiresAt,
      is_valid: refusal === null,
      issued_at: nowSeconds() - 3600,
      ...(state.type === "PAGE" ? { profile_id: state.pageId } : {}),
      scopes: state.scopes,
      granular_scopes: state.scopes.map((scope) =>
        scope.startsWith("pages_") || scope === "leads_retrieval"
          ? { scope, target_ids: context.state.pages.map((page) => page.id) }
          : { scope }
      ),
      user_id: state.type === "PAGE" ? undefined : "10000000000001",
      ...(refusal
        ? { error: { code: refusal.code, subcode: refusal.subcode, message: refusal.message } }
        : {}),
    },
  });
}

/** `GET /me/accounts`: the pages a user or system-user token manages, with their page tokens. */
function accounts(context: GraphApiContext, url: URL): Response {
  const token = tokenOf(url)!;
  if (context.auth.state(token)?.type === "PAGE") {
    return badParameter(
      context,
      "Tried accessing nonexisting field (accounts) on node type (Page)",
    );
  }
  const missing = requireScope(context, url, "pages_show_list");
  if (missing) return errorResponse(context, missing);
  const fields = requestedFields(url, ["id", "name", "access_token"]);
  const data = context.state.pages.map((page) =>
    pick({
      id: page.id,
      name: page.name,
      access_token: context.auth.pageToken(page.id, token),
      tasks: ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"],
    }, fields)
  );
  return pagedJson(context, url, data, data.map((_, i) => encodeCursor(i)), false);
}

/** `GET|POST|DELETE /{page_id}/subscribed_apps`: needs that page's token and pages_manage_metadata. */
function subscribedApps(context: GraphApiContext, url: URL, method: string, pageId: string) {
  if (!context.state.page(pageId)) return notFound(context, pageId);
  const token = tokenOf(url)!;
  const state = context.auth.state(token);
  if (state?.type !== "PAGE" || state.pageId !== pageId) {
    return errorResponse(
      context,
      oauthError(210, "(#210) A page access token is required to request this resource."),
    );
  }
  const missing = requireScope(context, url, "pages_manage_metadata");
  if (missing) return errorResponse(context, missing);
  if (method === "GET") {
    return json(context, {
      data: context.auth.subscribedApps(pageId).map((app) => ({
        id: app.id,
        name: app.name,
        subscribed_fields: app.subscribedFields,
      })),
    });
  }
  if (method === "POST") {
    const fields = (url.searchParams.get("subscribed_fields") ?? "").split(",")
      .map((field) => field.trim()).filter((field) => field !== "");
    if (fields.length === 0) {
      return badParameter(context, "The parameter subscribed_fields is required.");
    }
    context.auth.subscribe(pageId, context.auth.appId, fields);
    return json(context, { success: true });
  }
  if (method === "DELETE") {
    context.auth.unsubscribe(pageId, context.auth.appId);
    return json(context, { success: true });
  }
  return badParameter(context, `Unsupported ${method.toLowerCase()} request.`);
}

/** Handles one Graph API request: counts it, applies faults, checks the token and proof, answers. */
export async function handleGraphRequest(
  request: Request,
  context: GraphApiContext,
): Promise<Response> {
  const url = new URL(request.url);
  // Meta takes a POST's parameters from a form body as well as from the query string.
  if (
    request.method === "POST" &&
    /^application\/x-www-form-urlencoded/i.test(request.headers.get("content-type") ?? "")
  ) {
    for (const [name, value] of new URLSearchParams(await request.text())) {
      url.searchParams.set(name, value);
    }
  }
  const { version, segments } = splitPath(url.pathname);
  // `GET /?ids=a,b,c`: several leads in one request (Meta's multi-id read).
  const multi = segments.length === 0 && url.searchParams.has("ids")
    ? url.searchParams.get("ids")!.split(",").map((id) => id.trim()).filter((id) => id !== "")
    : null;
  const kind = multi ? "lead" : callKind(context.state, url.pathname);
  context.countRequest();
  for (let i = 0; i < (multi ? Math.max(1, multi.length) : 1); i++) context.countCall(kind);

  const fault = context.faults.take(kind);
  if (fault?.latencyMs) {
    // Not request.signal: Deno aborts it after every response and warns about that use.
    await wait(fault.latencyMs, context.closing);
  }
  if (fault?.until) await held(fault.until, context.closing);
  const extraHeaders = {
    "facebook-api-version": version ?? "v21.0",
    ...(fault?.bucRegainMinutes !== undefined
      ? bucHeader(pageOfCall(context.state, segments), fault.bucRegainMinutes)
      : {}),
  };
  const scripted = fault ? faultError(fault) : null;
  if (scripted) return errorResponse(context, scripted, extraHeaders);

  let response: Response;
  if (kind === "debug_token" && request.method === "GET") {
    response = await debugToken(context, url);
  } else {
    const authError = await checkAuth(context, url);
    if (authError) return errorResponse(context, authError, extraHeaders);
    response = await answer(context, request.method, url, segments, multi);
  }
  for (const [name, value] of Object.entries(extraHeaders)) response.headers.set(name, value);
  return response;
}

/** Answers an authorised call; `multi` holds the ids of a multi-id read. */
function answer(
  context: GraphApiContext,
  method: string,
  url: URL,
  segments: string[],
  multi: string[] | null,
): Response {
  const [id, edge] = segments;
  if (segments.length === 2 && edge === "subscribed_apps") {
    return subscribedApps(context, url, method, id);
  }
  if (segments.length === 2 && edge === "events" && method === "POST" && /^\d+$/.test(id)) {
    const events = parseDatasetEvents(id, url.searchParams.get("data"), nowSeconds());
    if (typeof events === "string") return badParameter(context, events);
    context.datasets.events.push(...events);
    return json(context, {
      events_received: events.length,
      messages: [],
      fbtrace_id: `A${randomToken(16).replace(/[-_]/g, "x")}`,
    });
  }
  if (method !== "GET") {
    return badParameter(context, `Unsupported ${method.toLowerCase()} request.`);
  }
  if (segments.length === 2 && id === "me" && edge === "accounts") return accounts(context, url);
  if (multi) {
    const missing = requireScope(context, url, "leads_retrieval");
    if (missing) return errorResponse(context, missing);
    return multiRead(context, url, multi);
  }
  if (segments.length === 1) {
    const lead = context.state.lead(id);
    const form = context.state.form(id);
    const page = context.state.page(id);
    if (lead) {
      const missing = requireScope(context, url, "leads_retrieval");
      if (missing) return errorResponse(context, missing);
      context.countServed(lead.id);
      return json(context, leadJson(lead, requestedFields(url, DEFAULT_LEAD_FIELDS)));
    }
    if (form) {
      return json(
        context,
        formJson(context.state, form, requestedFields(url, DEFAULT_FORM_FIELDS)),
      );
    }
    if (page) {
      const fields = requestedFields(url, ["id", "name"]);
      return json(
        context,
        pick({
          id: page.id,
          name: page.name,
          access_token: fields.has("access_token")
            ? context.auth.pageToken(page.id, tokenOf(url)!)
            : undefined,
        }, fields),
      );
    }
    return notFound(context, id);
  }
  if (segments.length === 2 && edge === "leads") {
    const form = context.state.form(id);
    if (!form) return notFound(context, id);
    const missing = requireScope(context, url, "leads_retrieval");
    if (missing) return errorResponse(context, missing);
    return formLeads(context, url, form);
  }
  if (segments.length === 2 && edge === "leadgen_forms") return pageForms(context, url, id);
  return badParameter(context, `Unknown path components: /${segments.join("/")}`);
}
