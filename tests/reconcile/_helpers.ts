// Fixtures for reconciliation tests: the real Graph simulator, a real Graph client, a real store.

import { contactIndexWrites } from "../../lib/leads/contact_index.ts";
import { createGraphClient, type GraphClient } from "../../lib/facebook/graph_client.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";
import type { Lead } from "../../lib/leads/model.ts";
import {
  createReconciler,
  type Reconciler,
  type ReconcilerOptions,
} from "../../lib/reconcile/reconciler.ts";

export const APP_SECRET = "reconcile-test-app-secret";
export const TOKEN = "reconcile-test-page-token";

/** Log lines a test can read. */
export interface TestLog {
  lines: { level: string; message: string; fields?: Record<string, unknown> }[];
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A logger that keeps its lines. */
export function testLog(): TestLog {
  const lines: TestLog["lines"] = [];
  return {
    lines,
    info: (message, fields) => lines.push({ level: "info", message, fields }),
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
  };
}

/** A clock that runs with real time plus an offset the test moves forward. */
export function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

/** One listFormLeads call as the wrapped client saw it. */
export interface ListCall {
  formId: string;
  since?: number;
  after?: string;
}

/** Everything a reconcile test runs on. */
export interface ReconcileFixture {
  kv: Deno.Kv;
  sim: GraphSimulator;
  /** The real client to the simulator, wrapped to record calls and run `afterList` hooks. */
  graph: GraphClient;
  store: LeadStore;
  log: TestLog;
  clock: ReturnType<typeof testClock>;
  listCalls: ListCall[];
  /** Runs after every successful listFormLeads call (e.g. to inject a fault mid-sweep). */
  afterList: ((call: ListCall, page: { after: string | null }) => void | Promise<void>)[];
  /** Runs before every listPageForms call. */
  beforeDiscover: ((pageId: string) => void | Promise<void>)[];
  makeReconciler(overrides?: Partial<ReconcilerOptions>): Reconciler;
  /** Every stored lead. */
  allLeads(): Promise<Lead[]>;
  close(): Promise<void>;
}

/** Starts the simulator, opens an in-memory KV and builds the pieces a reconciler needs. */
export async function reconcileFixture(seed = 7): Promise<ReconcileFixture> {
  const kv = await Deno.openKv(":memory:");
  const sim = await startGraphSimulator({ appSecret: APP_SECRET, accessToken: TOKEN, seed });
  const real = createGraphClient({
    baseUrl: sim.url,
    version: sim.version,
    appSecret: APP_SECRET,
    tokenForPage: () => TOKEN,
  });
  const clock = testClock();
  // As the app wires it: the contact index is written in each lead's commit.
  const store = createLeadStore(kv, {
    now: clock.now,
    deriveWrites: contactIndexWrites({ defaultCountry: "US", now: clock.now }),
  });
  const log = testLog();
  const listCalls: ListCall[] = [];
  const afterList: ReconcileFixture["afterList"] = [];
  const beforeDiscover: ReconcileFixture["beforeDiscover"] = [];
  const graph: GraphClient = {
    getLead: (leadgenId, pageId) => real.getLead(leadgenId, pageId),
    getForm: (formId, pageId) => real.getForm(formId, pageId),
    async listPageForms(pageId, options) {
      for (const hook of beforeDiscover) await hook(pageId);
      return await real.listPageForms(pageId, options);
    },
    async listFormLeads(formId, pageId, options = {}) {
      const call = { formId, since: options.since, after: options.after };
      listCalls.push(call);
      const page = await real.listFormLeads(formId, pageId, options);
      for (const hook of afterList) await hook(call, page);
      return page;
    },
  };
  return {
    kv,
    sim,
    graph,
    store,
    log,
    clock,
    listCalls,
    afterList,
    beforeDiscover,
    makeReconciler(overrides = {}) {
      return createReconciler({
        kv,
        graph,
        store,
        log,
        now: clock.now,
        listPages: () => Promise.resolve(sim.pages.map((page) => page.id)),
        pageSize: 10,
        transientRetryDelayMs: 0,
        ...overrides,
      });
    },
    async allLeads() {
      const leads: Lead[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.listLeads({ limit: 500, cursor });
        leads.push(...page.leads);
        cursor = page.cursor;
      } while (cursor !== null);
      return leads;
    },
    async close() {
      await sim.close();
      kv.close();
    },
  };
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
