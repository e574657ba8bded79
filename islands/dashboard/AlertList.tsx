// The alert area: dashboard-wide alerts (an expired token, a missing permission) needing action.

import type { Alert } from "../../lib/alerts.ts";

/** One banner per raised alert; nothing when all is well. */
export function AlertList({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) return null;
  return (
    <div class="alerts" role="alert" data-alerts>
      {alerts.map((alert) => (
        <p class="banner banner-alert" key={`${alert.kind}:${alert.pageId ?? "app"}`}>
          <strong>{alert.kind === "token_expired" ? "Token expired" : "Permission missing"}</strong>
          {alert.pageId ? ` (page ${alert.pageId})` : ""}: {alert.message}{" "}
          <span class="alert-since">Since {alert.since.replace("T", " ").slice(0, 16)} UTC.</span>
        </p>
      ))}
    </div>
  );
}
