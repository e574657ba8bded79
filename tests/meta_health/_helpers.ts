// Fixtures for Meta health tests: the Graph simulator, the admin client and a webhook that answers the handshake.

import { createGraphAdminClient, type GraphAdminClient } from "../../lib/facebook/graph_admin.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { type MetaCheckOptions, runMetaCheck } from "../../lib/meta_health/check.ts";
import type { MetaHealthReport } from "../../lib/meta_health/types.ts";

export const APP_SECRET = "meta-health-test-app-secret";
export const TOKEN = "meta-health-test-system-user-token";
export const VERIFY_TOKEN = "meta-health-test-verify-token";
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Everything a check test runs on. */
export interface HealthFixture {
  sim: GraphSimulator;
  graph: GraphAdminClient;
  /** A server that answers Meta's verification handshake like /webhook does. */
  webhookUrl: string;
  /** Runs the checks with the simulator's app id and the one token, plus any overrides. */
  check(overrides?: Partial<MetaCheckOptions>): Promise<MetaHealthReport>;
  close(): Promise<void>;
}

/** Starts the simulator and a handshake server. */
export async function healthFixture(): Promise<HealthFixture> {
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: TOKEN,
    verifyToken: VERIFY_TOKEN,
    seed: 21,
  });
  const graph = createGraphAdminClient({
    baseUrl: sim.url,
    version: "v25.0",
    appSecret: APP_SECRET,
  });
  const webhook = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (
      url.pathname === "/webhook" && url.searchParams.get("hub.mode") === "subscribe" &&
      url.searchParams.get("hub.verify_token") === VERIFY_TOKEN
    ) {
      return new Response(url.searchParams.get("hub.challenge"));
    }
    return new Response("Forbidden", { status: 403 });
  });
  const webhookUrl = `http://127.0.0.1:${webhook.addr.port}/webhook`;
  return {
    sim,
    graph,
    webhookUrl,
    check(overrides = {}) {
      return runMetaCheck({
        graph,
        appSecret: APP_SECRET,
        appId: sim.appId,
        tokens: [{ label: "META_ACCESS_TOKEN", token: TOKEN, pageId: null }],
        pageIds: [],
        webhook: { url: webhookUrl, verifyToken: VERIFY_TOKEN },
        ...overrides,
      });
    },
    async close() {
      await webhook.shutdown();
      await sim.close();
    },
  };
}

/** The problems of a report as "kind:page" strings, sorted, for compact assertions. */
export function problemKeys(report: MetaHealthReport): string[] {
  return report.problems.map((problem) => `${problem.kind}:${problem.pageId ?? "app"}`).sort();
}

/** Unix seconds `ms` from now. */
export function secondsFromNow(ms: number): number {
  return Math.floor((Date.now() + ms) / 1000);
}
