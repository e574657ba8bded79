// The Graph API simulator for one test (a real server on 127.0.0.1), and a Graph client of it.

import { createGraphClient, type GraphClient } from "../../lib/facebook/graph_client.ts";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";

/** Runs `fn` with a simulator started for it, closed after it whatever happens. */
export async function withGraphSim(
  options: { appSecret: string; accessToken: string; seed: number },
  fn: (sim: GraphSimulator) => Promise<void>,
): Promise<void> {
  const sim = await startGraphSimulator(options);
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

/** A Graph client of `sim` that signs with `appSecret` and uses `token` for every page. */
export function graphClientFor(sim: GraphSimulator, appSecret: string, token: string): GraphClient {
  return createGraphClient({
    baseUrl: sim.url,
    version: "v21.0",
    appSecret,
    tokenForPage: () => token,
  });
}
