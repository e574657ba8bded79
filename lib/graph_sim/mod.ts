// A real Graph API simulator on loopback: pages, forms and leads, signed webhook deliveries, faults.

import { handleControlRequest } from "./control_api.ts";
import { FaultList, type FaultOptions, type SimCallKind } from "./faults.ts";
import { handleGraphRequest } from "./graph_api.ts";
import { createRandom } from "./random.ts";
import {
  type CreateFormOptions,
  type CreateLeadOptions,
  type SimForm,
  type SimLead,
  type SimPage,
  SimState,
} from "./state.ts";
import { deliverWebhook, webhookBody, type WebhookBodyOptions } from "./webhook.ts";

export type { FaultOptions, SimCallKind } from "./faults.ts";
export type {
  CreateFormOptions,
  CreateLeadOptions,
  SimAd,
  SimForm,
  SimLead,
  SimLeadFields,
  SimPage,
} from "./state.ts";
export type { WebhookBodyOptions } from "./webhook.ts";
export { graphTime } from "./graph_api.ts";

/** Options for startGraphSimulator. */
export interface GraphSimulatorOptions {
  /** Signs webhook deliveries and checks appsecret_proof. */
  appSecret: string;
  /** The one page access token the simulator accepts (for every page). */
  accessToken: string;
  /** Default 0: any free port. */
  port?: number;
  hostname?: "127.0.0.1";
  /** Seeds generated pages, forms, people and ids; default 1. */
  seed?: number;
  /** Write IDs in Graph responses as raw JSON numbers (Meta writes strings); default false. */
  graphIdsAsNumbers?: boolean;
}

/** A running simulator. Graph API under `{url}/{version}/…`, control API under `{url}/__sim/`. */
export interface GraphSimulator {
  /** Base URL, e.g. "http://127.0.0.1:41234". */
  readonly url: string;
  /** A Graph API version to use with it; any "vNN.N" prefix is accepted. */
  readonly version: string;
  /** The simulated pages with their forms. */
  readonly pages: readonly SimPage[];
  /** Creates a lead as if someone submitted a form. Not delivered: call deliver() for that. */
  createLead(options?: CreateLeadOptions): SimLead;
  /** Adds a lead form to a page. */
  createForm(options?: CreateFormOptions): SimForm;
  /** Finds a lead by id. */
  lead(leadId: string): SimLead | undefined;
  /** All leads in creation order. */
  leads(): SimLead[];
  /** The exact JSON text of one webhook delivery for these leads. */
  webhookBody(leads: SimLead[], options?: WebhookBodyOptions): string;
  /** POSTs a signed delivery to the callback URL; the caller must consume the response body. */
  deliver(leads: SimLead[], callbackUrl: string, options?: WebhookBodyOptions): Promise<Response>;
  /** Scripts failures or slowness for the next matching Graph calls. */
  injectFault(options: FaultOptions): void;
  /** Removes all scripted faults. */
  clearFaults(): void;
  /**
   * Graph calls received (of one kind, or in total), including failed ones. A multi-id read
   * (`GET /?ids=a,b`) counts one lead call per id, as Meta counts it against rate limits.
   */
  calls(kind?: SimCallKind): number;
  /** HTTP requests received by the Graph API (a multi-id read is one). */
  requests(): number;
  /** How many successful answers carried this lead (a lead read twice shows 2). */
  served(leadId: string): number;
  /** Sets all call counters back to zero. */
  resetCalls(): void;
  /** Stops the server; pending slow answers end at once. */
  close(): Promise<void>;
}

/** Starts the simulator on loopback and resolves once it listens. */
export async function startGraphSimulator(options: GraphSimulatorOptions): Promise<GraphSimulator> {
  if (!options.appSecret) throw new Error("Cannot start Graph simulator: appSecret is empty");
  if (!options.accessToken) throw new Error("Cannot start Graph simulator: accessToken is empty");
  const state = new SimState(createRandom(options.seed ?? 1));
  const faults = new FaultList();
  const counters = new Map<SimCallKind, number>();
  let requestCount = 0;
  const servedCounts = new Map<string, number>();
  const closing = new AbortController();

  function calls(kind?: SimCallKind): number {
    if (kind !== undefined) return counters.get(kind) ?? 0;
    let total = 0;
    for (const count of counters.values()) total += count;
    return total;
  }
  function deliver(leads: SimLead[], callbackUrl: string, bodyOptions?: WebhookBodyOptions) {
    return deliverWebhook(options.appSecret, leads, callbackUrl, bodyOptions);
  }
  function createLead(leadOptions?: CreateLeadOptions) {
    return state.createLead(leadOptions);
  }

  const graphContext = {
    state,
    faults,
    appSecret: options.appSecret,
    accessToken: options.accessToken,
    idsAsNumbers: options.graphIdsAsNumbers ?? false,
    countCall: (kind: SimCallKind) => counters.set(kind, (counters.get(kind) ?? 0) + 1),
    countRequest: () => requestCount++,
    countServed: (leadId: string) => servedCounts.set(leadId, (servedCounts.get(leadId) ?? 0) + 1),
    closing: closing.signal,
  };
  const controlContext = {
    state,
    createLead,
    deliver,
    injectFault: (fault: FaultOptions) => faults.add(fault),
    clearFaults: () => faults.clear(),
    faultCount: () => faults.size,
    calls,
  };

  const { promise: listening, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: resolve,
  }, async (request) => {
    try {
      return await handleControlRequest(request, controlContext) ??
        await handleGraphRequest(request, graphContext);
    } catch (error) {
      return new Response(
        JSON.stringify({ error: { message: `Simulator failed: ${(error as Error).message}` } }),
        { status: 500, headers: { "content-type": "application/json" } },
      );
    }
  });
  const address = await listening;
  let closed: Promise<void> | null = null;

  return {
    url: `http://${address.hostname}:${address.port}`,
    version: "v21.0",
    pages: state.pages,
    createLead,
    createForm: (formOptions) => state.createForm(formOptions),
    lead: (leadId) => state.lead(leadId),
    leads: () => state.leads(),
    webhookBody,
    deliver,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => void faults.clear(),
    calls,
    requests: () => requestCount,
    served: (leadId) => servedCounts.get(leadId) ?? 0,
    resetCalls: () => {
      counters.clear();
      servedCounts.clear();
      requestCount = 0;
    },
    close() {
      closed ??= (async () => {
        closing.abort();
        await server.shutdown();
      })();
      return closed;
    },
  };
}
