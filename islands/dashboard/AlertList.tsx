// The alert area: dashboard-wide alerts (an expired token, a missing permission, lost webhooks, a lead stored
// shortened) needing action.

import type { Alert } from "../../lib/wire.ts";

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
          <strong>{alert.title ?? "Problem"}</strong>
          {alert.pageId ? ` (page ${alert.pageId})` : ""}: {alert.message}{" "}
          {alert.leadId && <a href={`/leads/${encodeURIComponent(alert.leadId)}`}>Open the lead</a>}
          {alert.leadId ? " " : ""}
          <span class="alert-since">Since {alert.since.replace("T", " ").slice(0, 16)} UTC.</span>
        </p>
      ))}
    </div>
  );
}
