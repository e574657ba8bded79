// A real Graph API simulator on loopback: pages, forms and leads, signed webhook deliveries, faults.

import { type SimAppSubscription, SimAuth, type SimTokenState } from "./auth.ts";
import { handleControlRequest } from "./control_api.ts";
import { type SimDatasetEvent, SimDatasets } from "./datasets.ts";
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

/** Options for startGraphSimulator. */
export interface GraphSimulatorOptions {
  /** Signs webhook deliveries and checks appsecret_proof. */
  appSecret: string;
  /**
   * The run's access token: a never-expiring system-user token with every scope, good for every
   * page (and for the page tokens `GET /{page_id}?fields=access_token` hands out).
   */
  accessToken: string;
  /** The webhook verify token Meta would send in its handshake; told to tools via the control API. */
  verifyToken?: string;
  /** The simulated app's id; generated from the seed by default. */
  appId?: string;
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
  /** The simulated app's id (`debug_token`'s app_id, `subscribed_apps` entries). */
  readonly appId: string;
  /** The run's credentials (secrets): what Meta and the app would share. */
  readonly credentials: {
    appId: string;
    appSecret: string;
    accessToken: string;
    verifyToken: string | null;
  };
  /** Changes a token (default the run's): expiry, revocation, scopes, type. Adds it when unknown. */
  setToken(patch: Partial<SimTokenState>, token?: string): SimTokenState;
  /** A token's current state, or null when the simulator does not know it. */
  tokenState(token?: string): SimTokenState | null;
  /** Subscribes our app to a page's webhook fields (default leadgen). */
  subscribePage(pageId: string, fields?: string[]): void;
  /** Removes our app's subscription to a page: Meta then sends that page's leads to nobody. */
  unsubscribePage(pageId: string): void;
  /** The apps subscribed to a page. */
  subscribedApps(pageId: string): SimAppSubscription[];
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
  /** Conversions API events received (`POST /{dataset_id}/events`), in order. */
  datasetEvents(datasetId?: string): SimDatasetEvent[];
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
  // Its own random source, so app and page token ids leave the pages' and leads' ids as they were.
  const auth = new SimAuth(
    createRandom(((options.seed ?? 1) ^ 0x5eed) >>> 0),
    options.accessToken,
    state.pages.map((page) => page.id),
    options.appId,
  );
  const faults = new FaultList();
  const counters = new Map<SimCallKind, number>();
  let requestCount = 0;
  const servedCounts = new Map<string, number>();
  const closing = new AbortController();
  const datasets = new SimDatasets();

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
    auth,
    faults,
    appSecret: options.appSecret,
    idsAsNumbers: options.graphIdsAsNumbers ?? false,
    countCall: (kind: SimCallKind) => counters.set(kind, (counters.get(kind) ?? 0) + 1),
    countRequest: () => requestCount++,
    countServed: (leadId: string) => servedCounts.set(leadId, (servedCounts.get(leadId) ?? 0) + 1),
    closing: closing.signal,
    datasets,
  };
  const credentials = {
    appId: auth.appId,
    appSecret: options.appSecret,
    accessToken: options.accessToken,
    verifyToken: options.verifyToken ?? null,
  };
  const controlContext = {
    state,
    auth,
    credentials,
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
    appId: auth.appId,
    credentials,
    setToken: (patch, token = options.accessToken) => auth.setToken(token, patch),
    tokenState: (token = options.accessToken) => auth.state(token),
    subscribePage: (pageId, fields = ["leadgen"]) => {
      if (!state.page(pageId)) throw new Error(`Cannot subscribe: no page ${pageId}`);
      auth.subscribe(pageId, auth.appId, fields);
    },
    unsubscribePage: (pageId) => void auth.unsubscribe(pageId, auth.appId),
    subscribedApps: (pageId) => auth.subscribedApps(pageId),
    createLead,
    createForm: (formOptions) => state.createForm(formOptions),
    lead: (leadId) => state.lead(leadId),
    leads: () => state.leads(),
    webhookBody,
    deliver,
    datasetEvents: (datasetId) =>
      datasets.events.filter((event) => datasetId === undefined || event.datasetId === datasetId),
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
