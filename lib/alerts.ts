// Dashboard-wide alerts in KV (an expired page token, a missing permission, lost webhooks, a lead
// stored shortened), raised and cleared by jobs and checks. Their shape is in lib/wire.ts.

import { commitAtomic } from "./kv_commit.ts";
import type { Alert, AlertKind } from "./wire.ts";

/** Alerts over one KV. */
export interface AlertStore {
  /** Raises an alert, or refreshes its message when the same kind and page is already raised. */
  setAlert(alert: { kind: AlertKind; pageId: string | null; message: string }): Promise<Alert>;
  /** Clears one alert; true when there was one. */
  clearAlert(kind: AlertKind, pageId: string | null): Promise<boolean>;
  /**
   * Clears the page's token and permission alerts after a Graph call for it succeeded; returns
   * how many. Other alerts about the page (unsubscribed, lost webhooks) stay: a working token
   * says nothing about them.
   */
  clearPageAlerts(pageId: string): Promise<number>;
  /** Every raised alert, oldest first. */
  listAlerts(): Promise<Alert[]>;
}

/**
 * The banner's heading for each kind of alert, sent with the alerts (the dashboard's script
 * carries no copy of them).
 */
export const ALERT_TITLES: Record<AlertKind, string> = {
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

/** Every alert kind. */
export const ALERT_KINDS = Object.keys(ALERT_TITLES) as readonly AlertKind[];

/**
 * The alerts a successful Graph call for a page disproves (its token works and may read leads),
 * cleared in one go. Alerts about one lead are not among them: they expire on their own
 * (LEAD_ALERT_TTL_MS).
 */
export const ACCESS_ALERT_KINDS: readonly AlertKind[] = ["token_expired", "permission_denied"];

/** How long an alert about one lead stays on the dashboard. */
export const LEAD_ALERT_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** `["alerts", kind, pageId | "app"]` -> Alert. */
export function alertKey(kind: AlertKind, pageId: string | null): Deno.KvKey {
  return ["alerts", kind, pageId ?? "app"];
}

/** `["alerts", kind, "lead", leadId]` -> Alert about one lead. */
export function leadAlertKey(kind: AlertKind, leadId: string): Deno.KvKey {
  return ["alerts", kind, "lead", leadId];
}

/**
 * Adds an alert about one lead to `op` (the commit that stores the lead, so the two land
 * together), bumping the head so open dashboards show it. It expires after LEAD_ALERT_TTL_MS.
 */
export function addLeadAlert(
  op: Deno.AtomicOperation,
  alert: { kind: AlertKind; leadId: string; pageId: string | null; message: string; at: string },
): void {
  const record: Alert = {
    kind: alert.kind,
    pageId: alert.pageId,
    leadId: alert.leadId,
    message: alert.message,
    since: alert.at,
    updatedAt: alert.at,
  };
  op.set(leadAlertKey(alert.kind, alert.leadId), record, { expireIn: LEAD_ALERT_TTL_MS })
    .sum(alertsHeadKey(), 1n);
}

/** `["alerts_head"]` -> a counter bumped on every change, for anyone who wants to `kv.watch` alerts. */
export function alertsHeadKey(): Deno.KvKey {
  return ["alerts_head"];
}

/** Makes the alert store over `kv`; `now` is the clock (default the real one). */
export function createAlertStore(kv: Deno.Kv, options: { now?: () => Date } = {}): AlertStore {
  const now = options.now ?? (() => new Date());

  return {
    async setAlert({ kind, pageId, message }) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const entry = await kv.get<Alert>(alertKey(kind, pageId));
        const at = now().toISOString();
        const alert: Alert = {
          kind,
          pageId,
          message,
          since: entry.value?.since ?? at,
          updatedAt: at,
        };
        const res = await commitAtomic(
          kv.atomic().check(entry).set(alertKey(kind, pageId), alert)
            .sum(alertsHeadKey(), 1n),
        );
        if (res.ok) return alert;
      }
      throw new Error(`Cannot raise alert ${kind}: it kept changing for 10 attempts`);
    },

    async clearAlert(kind, pageId) {
      const entry = await kv.get<Alert>(alertKey(kind, pageId));
      if (entry.value === null) return false;
      const res = await commitAtomic(
        kv.atomic().check(entry).delete(entry.key).sum(alertsHeadKey(), 1n),
      );
      return res.ok;
    },

    async clearPageAlerts(pageId) {
      // A read first: this runs after every successful fetch, and almost always finds nothing.
      const entries = await kv.getMany<Alert[]>(
        ACCESS_ALERT_KINDS.map((kind) => alertKey(kind, pageId)),
      );
      const present = entries.filter((entry) => entry.value !== null);
      if (present.length === 0) return 0;
      const op = kv.atomic();
      for (const entry of present) op.check(entry).delete(entry.key);
      const res = await commitAtomic(op.sum(alertsHeadKey(), 1n));
      return res.ok ? present.length : 0;
    },

    async listAlerts() {
      const alerts: Alert[] = [];
      for await (const entry of kv.list<Alert>({ prefix: ["alerts"] })) {
        alerts.push({ ...entry.value, title: ALERT_TITLES[entry.value.kind] ?? "Problem" });
      }
      return alerts.sort((a, b) => a.since.localeCompare(b.since));
    },
  };
}
