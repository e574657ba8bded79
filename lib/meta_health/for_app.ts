// Builds the app's Meta health monitor from its configuration and pipeline (demo mode checks the simulator).

import type { Config } from "../config.ts";
import { createGraphAdminClient } from "../facebook/graph_admin.ts";
import type { LeadPipeline } from "../leads/pipeline.ts";
import type { Logger } from "../log.ts";
import { listReconcileForms } from "../reconcile/forms.ts";
import { knownPagesLister } from "../reconcile/pages.ts";
import { configuredTokens, webhookUrlOf } from "./check.ts";
import { createMetaHealthMonitor, type MetaHealthMonitor } from "./monitor.ts";

/**
 * The monitor one app runs with. Live, it checks the configured tokens and the pages Leadline
 * knows (configured, seen, added in settings) with META_APP_ID, and PUBLIC_URL's /webhook. In demo
 * mode it checks the simulator with the run's credentials. Forms come from what the sweeps found,
 * so a check costs one `debug_token` per token and two calls per page.
 */
export function createAppMetaHealth(
  config: Config,
  kv: Deno.Kv,
  log: Logger,
  pipeline: Pick<LeadPipeline, "leads" | "alerts" | "jobs" | "simulator" | "webhook">,
): MetaHealthMonitor {
  const simulator = pipeline.simulator;
  const publicUrl = config.metaHealth.publicUrl;
  const knownForms = async (pageId: string) => {
    const forms = (await listReconcileForms(kv)).filter((form) => form.pageId === pageId);
    return forms.length === 0
      ? null
      : forms.map((form) => ({ id: form.formId, name: form.name, status: form.status }));
  };
  const common = {
    kv,
    leads: pipeline.leads,
    jobs: pipeline.jobs,
    alerts: pipeline.alerts,
    log: log.child({ part: "meta_health" }),
    knownForms,
  };
  if (simulator) {
    return createMetaHealthMonitor({
      ...common,
      graph: createGraphAdminClient({
        baseUrl: simulator.url,
        version: config.graphApiVersion,
        appSecret: simulator.credentials.appSecret,
      }),
      appSecret: simulator.credentials.appSecret,
      appId: simulator.appId,
      tokens: [{ label: "demo token", token: simulator.credentials.accessToken, pageId: null }],
      webhook: {
        url: publicUrl ? webhookUrlOf(publicUrl) : null,
        verifyToken: pipeline.webhook.verifyToken,
        why: "not checked: in demo mode set PUBLIC_URL to check an address Meta could call",
      },
      listPages: () => Promise.resolve(simulator.pages.map((page) => page.id)),
    });
  }
  const meta = config.meta!;
  return createMetaHealthMonitor({
    ...common,
    graph: createGraphAdminClient({
      baseUrl: config.graphApiBase,
      version: config.graphApiVersion,
      appSecret: meta.appSecret,
    }),
    appSecret: meta.appSecret,
    appId: config.metaHealth.appId,
    tokens: configuredTokens(meta),
    webhook: { url: publicUrl ? webhookUrlOf(publicUrl) : null, verifyToken: meta.verifyToken },
    listPages: knownPagesLister(kv, pipeline.leads, () => Object.keys(meta.pageTokens)),
  });
}
