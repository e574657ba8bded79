// Fixtures for tests of the lead pipeline: a Graph simulator, the app pointed at it, signed deliveries.

import { signBody } from "../../lib/facebook/signature.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { startTestServer, type TestServer } from "./app.ts";
import { waitFor } from "./wait.ts";

export const APP_SECRET = "ingest-test-app-secret";
export const VERIFY_TOKEN = "ingest-test-verify-token";
export const ACCESS_TOKEN = "ingest-test-page-token";

/** The env of a live-mode app whose Graph API is `sim`, with fast job retries. */
export function liveEnv(sim: GraphSimulator, extra: Record<string, string> = {}) {
  return {
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: VERIFY_TOKEN,
    META_ACCESS_TOKEN: ACCESS_TOKEN,
    GRAPH_API_BASE: sim.url,
    GRAPH_API_VERSION: sim.version,
    JOB_RETRY_DELAY_MS: "20",
    JOB_MAX_ATTEMPTS: "3",
    ...extra,
  };
}

/** A simulator and the app on a real loopback server, pointed at it. */
export interface Pipeline {
  sim: GraphSimulator;
  server: TestServer;
  webhookUrl: string;
}

/** Runs `fn` with a fresh simulator and app, closing both afterwards. */
export async function withPipeline(
  fn: (pipeline: Pipeline) => Promise<void>,
  options: { env?: Record<string, string>; seed?: number } = {},
): Promise<void> {
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: options.seed ?? 7,
  });
  let server: TestServer | null = null;
  try {
    server = await startTestServer({ env: liveEnv(sim, options.env) });
    await fn({ sim, server, webhookUrl: server.url + "/webhook" });
  } finally {
    await server?.close();
    await sim.close();
  }
}

/** POSTs `body` to the webhook, signed with `secret` unless a signature is given. */
export async function postDelivery(
  url: string,
  body: string | Uint8Array,
  options: { signature?: string | null; secret?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...options.headers,
  };
  const signature = options.signature === undefined
    ? await signBody(options.secret ?? APP_SECRET, bytes)
    : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const res = await fetch(url, { method: "POST", headers, body: new Uint8Array(bytes) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Waits until the lead of `leadgenId` is stored with details other than pending; returns it. */
export function waitForSettled(server: TestServer, leadgenId: string): Promise<Lead> {
  return waitFor(async () => {
    const lead = await server.app.services.leads.getLeadByLeadgenId(leadgenId);
    return lead && lead.details !== "pending" ? lead : null;
  }, `lead ${leadgenId} to leave pending`);
}
