// The simulator's JSON control API under /__sim/, for tools in another process (deno task simulate).

import type { SimAuth, SimTokenState } from "./auth.ts";
import type { FaultOptions } from "./faults.ts";
import { SIM_CALL_KINDS, type SimCallKind } from "./faults.ts";
import type { CreateLeadOptions, SimLead, SimPage, SimState } from "./state.ts";

/** What the control API needs from the simulator. */
export interface ControlApiContext {
  state: SimState;
  auth: SimAuth;
  /** The credentials of the run, for tools such as `deno task meta:check` in demo mode. */
  credentials: {
    appId: string;
    appSecret: string;
    accessToken: string;
    verifyToken: string | null;
  };
  createLead(options?: CreateLeadOptions): SimLead;
  deliver(leads: SimLead[], callbackUrl: string, options?: { idsAsNumbers?: boolean }): Promise<
    Response
  >;
  injectFault(options: FaultOptions): void;
  clearFaults(): number;
  faultCount(): number;
  calls(kind?: SimCallKind): number;
}

const MAX_LEADS_PER_REQUEST = 1000;
const CALL_KINDS: readonly SimCallKind[] = SIM_CALL_KINDS;

function reply(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function problem(status: number, message: string): Response {
  return reply({ error: message }, status);
}

async function readJson(request: Request): Promise<Record<string, unknown> | string> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    const body = JSON.parse(text);
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? body
      : "body must be a JSON object";
  } catch {
    return "body is not valid JSON";
  }
}

function pagesSummary(state: SimState, auth: SimAuth, pages: SimPage[]) {
  return pages.map((page) => ({
    id: page.id,
    name: page.name,
    subscribedApps: auth.subscribedApps(page.id),
    forms: page.forms.map((form) => ({
      id: form.id,
      name: form.name,
      status: form.status,
      leads: state.formLeads(form.id, {}).length,
    })),
  }));
}

/** Summary of a lead for tools: ids, time and contact, as JSON-safe strings. */
function leadSummary(lead: SimLead) {
  return {
    id: lead.id,
    pageId: lead.pageId,
    formId: lead.formId,
    createdTime: lead.createdTime,
    fullName: lead.fields.fullName,
    email: lead.fields.email,
  };
}

async function createLeads(context: ControlApiContext, request: Request): Promise<Response> {
  const body = await readJson(request);
  if (typeof body === "string") return problem(400, `Cannot create leads: ${body}`);
  const count = body.count ?? 1;
  if (!Number.isInteger(count) || (count as number) < 1) {
    return problem(400, "Cannot create leads: count must be a positive integer");
  }
  if ((count as number) > MAX_LEADS_PER_REQUEST) {
    return problem(400, `Cannot create leads: count must be at most ${MAX_LEADS_PER_REQUEST}`);
  }
  const deliver = body.deliver === true;
  const callbackUrl = body.callbackUrl;
  if (deliver && (typeof callbackUrl !== "string" || !/^https?:\/\//.test(callbackUrl))) {
    return problem(400, "Cannot deliver leads: callbackUrl must be an http(s) URL");
  }
  for (const name of ["pageId", "formId", "repeatOf"] as const) {
    if (body[name] !== undefined && typeof body[name] !== "string") {
      return problem(400, `Cannot create leads: ${name} must be a string`);
    }
  }
  const leads: SimLead[] = [];
  try {
    for (let i = 0; i < (count as number); i++) {
      leads.push(context.createLead({
        pageId: body.pageId as string | undefined,
        formId: body.formId as string | undefined,
        // Without a page or form, leads come from all the simulator's forms: the demo's variety.
        anyForm: true,
        organic: typeof body.organic === "boolean" ? body.organic : undefined,
        // A person submitting again, on purpose: the only way demo leads share a contact.
        repeatOf: body.repeatOf as string | undefined,
      }));
    }
  } catch (error) {
    return problem(400, (error as Error).message);
  }
  const deliveries: { leads: number; status: number | null; error?: string }[] = [];
  if (deliver) {
    // One delivery per lead, as Meta usually sends; `batch` sends them all in one. Like Meta, no
    // webhook goes out for a page our app is not subscribed to.
    const sent = leads.filter((lead) => context.auth.deliversLeadgen(lead.pageId));
    for (const lead of leads) {
      if (sent.includes(lead)) continue;
      deliveries.push({
        leads: 1,
        status: null,
        error: `not delivered: the app is not subscribed to leadgen on page ${lead.pageId}`,
      });
    }
    const groups = body.batch === true
      ? (sent.length > 0 ? [sent] : [])
      : sent.map((lead) => [lead]);
    for (const group of groups) {
      try {
        const response = await context.deliver(group, callbackUrl as string, {
          idsAsNumbers: body.idsAsNumbers === true,
        });
        await response.body?.cancel();
        deliveries.push({ leads: group.length, status: response.status });
      } catch (error) {
        deliveries.push({
          leads: group.length,
          status: null,
          error: `delivery failed: ${(error as Error).message}`,
        });
      }
    }
  }
  return reply({ leads: leads.map(leadSummary), deliveries }, 201);
}

const TOKEN_TYPES = ["USER", "PAGE", "SYSTEM_USER"];

/** `PATCH /__sim/token`: changes the run's token (or `token`), as expiry, revocation or a lost permission would. */
async function patchToken(context: ControlApiContext, request: Request): Promise<Response> {
  const body = await readJson(request);
  if (typeof body === "string") return problem(400, `Cannot change token: ${body}`);
  const token = body.token ?? context.credentials.accessToken;
  if (typeof token !== "string" || token === "") {
    return problem(400, "Cannot change token: token must be a non-empty string");
  }
  const patch: Partial<SimTokenState> = {};
  for (const name of ["expiresAt", "dataAccessExpiresAt"] as const) {
    if (body[name] === undefined) continue;
    if (!Number.isInteger(body[name]) || (body[name] as number) < 0) {
      return problem(400, `Cannot change token: ${name} must be unix seconds (0 = never)`);
    }
    patch[name] = body[name] as number;
  }
  if (body.isValid !== undefined) {
    if (typeof body.isValid !== "boolean") {
      return problem(400, "Cannot change token: isValid must be true or false");
    }
    patch.isValid = body.isValid;
  }
  if (body.scopes !== undefined) {
    if (!Array.isArray(body.scopes) || !body.scopes.every((s) => typeof s === "string")) {
      return problem(400, "Cannot change token: scopes must be a list of permission names");
    }
    patch.scopes = body.scopes as string[];
  }
  if (body.type !== undefined) {
    if (!TOKEN_TYPES.includes(body.type as string)) {
      return problem(400, `Cannot change token: type must be one of ${TOKEN_TYPES.join(", ")}`);
    }
    patch.type = body.type as SimTokenState["type"];
  }
  if (body.pageId !== undefined) {
    if (typeof body.pageId !== "string" || !context.state.page(body.pageId)) {
      return problem(400, "Cannot change token: pageId must be one of the simulator's pages");
    }
    patch.pageId = body.pageId;
  }
  const state = context.auth.setToken(token, patch);
  return reply({
    type: state.type,
    isValid: state.isValid,
    expiresAt: state.expiresAt,
    scopes: state.scopes,
  });
}

/** `PUT|DELETE /__sim/pages/:id/subscription`: subscribes or removes our app, as the page's settings would. */
async function pageSubscription(
  context: ControlApiContext,
  request: Request,
  pageId: string,
): Promise<Response> {
  if (!context.state.page(pageId)) return problem(404, `No simulated page has the id ${pageId}`);
  if (request.method === "DELETE") {
    context.auth.unsubscribe(pageId, context.auth.appId);
    return reply({ pageId, subscribedApps: context.auth.subscribedApps(pageId) });
  }
  const body = await readJson(request);
  if (typeof body === "string") return problem(400, `Cannot subscribe: ${body}`);
  const fields = body.fields ?? ["leadgen"];
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === "string" && f !== "")) {
    return problem(400, "Cannot subscribe: fields must be a list of webhook field names");
  }
  context.auth.subscribe(pageId, context.auth.appId, fields as string[]);
  return reply({ pageId, subscribedApps: context.auth.subscribedApps(pageId) });
}

/** Answers a request under /__sim/; returns null for other paths. */
export async function handleControlRequest(
  request: Request,
  context: ControlApiContext,
): Promise<Response | null> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith("/__sim/")) return null;
  const route = `${request.method} ${pathname.replace(/\/+$/, "")}`;
  const subscription = /^(PUT|DELETE) \/__sim\/pages\/(\d+)\/subscription$/.exec(route);
  if (subscription) return await pageSubscription(context, request, subscription[2]);
  switch (route) {
    case "GET /__sim/credentials":
      return reply(context.credentials);
    case "PATCH /__sim/token":
      return await patchToken(context, request);
    case "POST /__sim/leads":
      return await createLeads(context, request);
    case "POST /__sim/faults": {
      const body = await readJson(request);
      if (typeof body === "string") return problem(400, `Cannot inject fault: ${body}`);
      try {
        context.injectFault(body as FaultOptions);
      } catch (error) {
        return problem(400, (error as Error).message);
      }
      return reply({ faults: context.faultCount() }, 201);
    }
    case "DELETE /__sim/faults":
      return reply({ cleared: context.clearFaults() });
    case "GET /__sim/stats":
      return reply({
        calls: {
          total: context.calls(),
          ...Object.fromEntries(CALL_KINDS.map((kind) => [kind, context.calls(kind)])),
        },
        leads: context.state.leads().length,
        faults: context.faultCount(),
        pages: pagesSummary(context.state, context.auth, context.state.pages),
      });
    default:
      return problem(404, `No simulator control route for ${route}`);
  }
}
