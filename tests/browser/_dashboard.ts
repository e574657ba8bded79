// Fixtures for dashboard browser tests: the app in live mode on the Graph simulator, signed-in pages.

import type { Browser, Page } from "playwright-core";
import { type GraphSimulator, startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import type { SimLead } from "../../lib/graph_sim/state.ts";
import { startTestServer, type TestServer } from "../_helpers/app.ts";
import { signIn } from "../_helpers/browser.ts";
import { ACCESS_TOKEN, APP_SECRET, liveEnv } from "../_helpers/pipeline.ts";

/** A simulator, the app pointed at it, and a way to open signed-in dashboards. */
export interface DashboardFixture {
  sim: GraphSimulator;
  server: TestServer;
  /**
   * Opens `/` signed in and waits until the badge shows `connection` (default live); `prepare`
   * runs before the page loads (e.g. to block routes). Collects page errors.
   */
  openDashboard(options?: {
    prepare?: (page: Page) => Promise<void>;
    connection?: "live" | "polling";
  }): Promise<Page>;
  /** Creates a lead in the simulator and delivers its signed webhook, as Meta would. */
  sendLead(fields?: { fullName?: string }): Promise<SimLead>;
  /** Errors thrown in any page opened by `openDashboard`. */
  pageErrors: string[];
}

/** Runs `fn` with a simulator, the app and `browser`; closes pages before the server. */
export async function withDashboard(
  browser: Browser,
  fn: (fixture: DashboardFixture) => Promise<void>,
  options: { env?: Record<string, string> } = {},
): Promise<void> {
  const sim = await startGraphSimulator({
    appSecret: APP_SECRET,
    accessToken: ACCESS_TOKEN,
    seed: 5,
  });
  let server: TestServer | null = null;
  const pages: Page[] = [];
  const pageErrors: string[] = [];
  try {
    server = await startTestServer({ env: liveEnv(sim, options.env) });
    const srv = server;
    await fn({
      sim,
      server: srv,
      pageErrors,
      async openDashboard(open = {}) {
        const context = await browser.newContext();
        const page = await context.newPage();
        pages.push(page);
        page.on("pageerror", (err) => pageErrors.push(err.message));
        await signIn(page, srv);
        await open.prepare?.(page);
        await page.goto(srv.url + "/");
        await page.locator(`[data-connection="${open.connection ?? "live"}"]`)
          .waitFor({ timeout: 10_000 });
        return page;
      },
      async sendLead(fields = {}) {
        const lead = sim.createLead({ fields, organic: false });
        const res = await sim.deliver([lead], srv.url + "/webhook");
        await res.body?.cancel();
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
        return lead;
      },
    });
  } finally {
    // Open event streams would keep the server's graceful shutdown waiting.
    for (const page of pages) await page.context().close().catch(() => {});
    await server?.close();
    await sim.close();
  }
}

/** The ids of the rows on `page`, top to bottom. */
export function rowIds(page: Page): Promise<string[]> {
  return page.locator("[data-lead-id]").evaluateAll((rows) =>
    rows.map((row) => row.getAttribute("data-lead-id") ?? "")
  );
}
