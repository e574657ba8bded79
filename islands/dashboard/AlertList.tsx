// The alert area: dashboard-wide alerts (an expired token, a missing permission, lost webhooks, a lead stored
// shortened) needing action.

import type { Alert, AlertKind } from "../../lib/wire.ts";

/** The banner's title for each kind of alert. */
const TITLES: Record<AlertKind, string> = {
  token_expired: "Token expired",
  permission_denied: "Permission missing",
  token_expiring: "Token expiring",
  scope_missing: "Permission missing",
  page_unsubscribed: "Page not subscribed",
  page_unreachable: "Page unreachable",
  webhook_unreachable: "Webhook URL unreachable",
  webhooks_lost: "Webhooks lost",
  app_credentials: "App credentials refused",
  lead_truncated: "Lead stored shortened",
};

/** One banner per raised alert; nothing when all is well. */
export function AlertList({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) return null;
  return (
    <div class="alerts" role="alert" data-alerts>
      {alerts.map((alert) => (
        <p
          class="banner banner-alert"
          key={`${alert.kind}:${alert.leadId ?? alert.pageId ?? "app"}`}
          data-alert-kind={alert.kind}
        >
          <strong>{TITLES[alert.kind] ?? "Problem"}</strong>
          {alert.pageId ? ` (page ${alert.pageId})` : ""}: {alert.message}{" "}
          {alert.leadId && <a href={`/leads/${encodeURIComponent(alert.leadId)}`}>Open the lead</a>}
          {alert.leadId ? " " : ""}
          <span class="alert-since">Since {alert.since.replace("T", " ").slice(0, 16)} UTC.</span>
        </p>
      ))}
    </div>
  );
}
