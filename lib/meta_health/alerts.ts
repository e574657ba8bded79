// Turns a Meta health report and the webhook loss summary into dashboard-wide alerts: raise, refresh, clear.

import type { AlertStore } from "../alerts.ts";
import type { Alert, AlertKind } from "../wire.ts";
import type { MetaHealthReport, MetaProblemKind } from "./types.ts";
import type { WebhookLossSummary } from "./webhook_loss.ts";

/** The alert each problem raises; `graph_unreachable` raises none (Meta not answering passes). */
const ALERT_OF: Record<MetaProblemKind, AlertKind | null> = {
  token_expired: "token_expired",
  token_expiring: "token_expiring",
  scope_missing: "scope_missing",
  page_unsubscribed: "page_unsubscribed",
  page_unreachable: "page_unreachable",
  webhook_unreachable: "webhook_unreachable",
  app_credentials: "app_credentials",
  graph_unreachable: null,
};

/** Alerts only these checks raise, so they may clear them when the subject is gone. */
const OWNED: readonly AlertKind[] = [
  "token_expiring",
  "scope_missing",
  "page_unsubscribed",
  "page_unreachable",
  "webhook_unreachable",
  "app_credentials",
];

/** What applying the alerts did, as "kind:page" keys. */
export interface AlertChanges {
  raised: string[];
  cleared: string[];
}

function keyOf(kind: string, pageId: string | null): string {
  return `${kind}:${pageId ?? "app"}`;
}

/** The webhook loss alert's message for a page. */
export function webhooksLostMessage(
  page: { pageId: string; foundInWindow: number },
  windowMs: number,
): string {
  const hours = Math.round(windowMs / 3_600_000);
  return `Webhooks are being lost for page ${page.pageId}: in the last ${hours} hours the sync ` +
    `found ${page.foundInWindow} leads that no webhook delivered. Check the page's subscription ` +
    "and that Meta can reach /webhook (deno task meta:check).";
}

/**
 * Raises an alert for each problem (and each page whose webhooks are lost) and clears the alerts
 * the report shows are resolved. An alert is cleared only when the report reached a verdict on
 * its subject, or when the checks no longer know the page: a check Meta did not answer keeps
 * what was raised. `token_expired` is shared with the fetch jobs, so only the subjects this
 * report judged are cleared. Alerts already raised with the same message are left untouched,
 * so a check every minute does not push the alert list to every dashboard every minute.
 * `loss` null leaves the webhook loss alerts as they are.
 */
export async function applyHealthAlerts(
  alerts: AlertStore,
  report: MetaHealthReport | null,
  loss: WebhookLossSummary | null,
): Promise<AlertChanges> {
  const wanted = new Map<string, { kind: AlertKind; pageId: string | null; message: string }>();
  for (const problem of report?.problems ?? []) {
    const kind = ALERT_OF[problem.kind];
    if (kind === null) continue;
    const key = keyOf(kind, problem.pageId);
    if (!wanted.has(key)) {
      wanted.set(key, { kind, pageId: problem.pageId, message: problem.message });
    }
  }
  for (const page of loss?.pages ?? []) {
    if (!page.lost) continue;
    wanted.set(keyOf("webhooks_lost", page.pageId), {
      kind: "webhooks_lost",
      pageId: page.pageId,
      message: webhooksLostMessage(page, loss!.windowMs),
    });
  }

  const judged = new Set((report?.checked ?? []).flatMap((subject) => {
    const kind = ALERT_OF[subject.kind];
    return kind === null ? [] : [keyOf(kind, subject.pageId)];
  }));
  const knownPages = new Set([
    ...(report?.pages ?? []).map((page) => page.pageId),
    ...(report?.tokens ?? []).flatMap((token) => token.pageId ? [token.pageId] : []),
  ]);

  const existing = await alerts.listAlerts();
  const byKey = new Map<string, Alert>(
    existing.map((alert) => [keyOf(alert.kind, alert.pageId), alert]),
  );
  const changes: AlertChanges = { raised: [], cleared: [] };
  for (const [key, alert] of wanted) {
    if (byKey.get(key)?.message === alert.message) continue;
    await alerts.setAlert(alert);
    changes.raised.push(key);
  }
  for (const alert of existing) {
    const key = keyOf(alert.kind, alert.pageId);
    if (wanted.has(key)) continue;
    let resolved = false;
    if (alert.kind === "webhooks_lost") resolved = loss !== null;
    else if (report !== null && (alert.kind === "token_expired" || OWNED.includes(alert.kind))) {
      // A page the checks no longer cover (removed from settings) keeps no alert; but a list of
      // pages that could not be made (a refused token, Meta not answering) proves nothing.
      const listed = report.pages.length > 0 &&
        !report.problems.some((problem) => problem.kind === "graph_unreachable");
      const gone = OWNED.includes(alert.kind) && alert.pageId !== null && listed &&
        !knownPages.has(alert.pageId);
      resolved = judged.has(key) || gone;
    }
    if (resolved && await alerts.clearAlert(alert.kind, alert.pageId)) changes.cleared.push(key);
  }
  return changes;
}
