// Settings for admins: how Meta is wired (tokens, pages, webhook URL, lost webhooks), the last
// sweep, the webhook deliveries log with replay, and the leads admins erased (no personal data).
// Every button is a plain form (no JavaScript).

import { DeliveryLog } from "../components/DeliveryLog.tsx";
import { MetaHealthReport } from "../components/MetaHealthReport.tsx";
import { type DeliveryLogEntry, listDeliveryLog } from "../lib/leads/deliveries.ts";
import { type ErasureAudit, listErasureAudit } from "../lib/leads/erase.ts";
import { describeTime } from "../lib/meta_health/format.ts";
import type { StoredMetaHealth } from "../lib/meta_health/monitor.ts";
import type { SyncResult } from "../lib/wire.ts";
import { define } from "../lib/app_state.ts";

/** What the Settings page shows. */
interface SettingsData {
  stored: StoredMetaHealth | null;
  lastSweep: SyncResult | null;
  deliveries: DeliveryLogEntry[];
  /** The newest erasures: who erased which lead id, when (nothing else of the lead is kept). */
  erasures: ErasureAudit[];
  /** `DELIVERY_RETENTION_DAYS` and `LEAD_RETENTION_DAYS` (null: leads are kept). */
  retention: { deliveryDays: number; leadDays: number | null };
  demo: boolean;
  everyMinutes: number;
  /** ISO 8601: when the page was made, for the countdowns. */
  now: string;
  notice?: string;
}

// Fixed messages chosen by code, so the query string cannot put words on the page.
const NOTICES: Record<string, string> = {
  checked: "Checked Meta just now.",
  replayed: "Delivery replayed: leads already stored were left as they were.",
  replay_missing: "That delivery is no longer kept (see how long deliveries are kept below).",
};

/** Deliveries shown in the log. */
const LOG_SIZE = 50;
/** Erasures shown. */
const ERASURES_SHOWN = 20;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export const title = "Settings";

/** Only admins see how Meta is wired and the deliveries. */
export const access = "admin";

export const handler = define.handlers<SettingsData>({
  async GET(ctx) {
    const { services } = ctx.state;
    const [stored, status, deliveries, erasures] = await Promise.all([
      services.metaHealth.last(),
      services.reconciler.status(),
      listDeliveryLog(services.kv, { limit: LOG_SIZE }),
      listErasureAudit(services.kv, ERASURES_SHOWN),
    ]);
    return ctx.render({
      stored,
      lastSweep: status.lastResult,
      deliveries,
      erasures,
      retention: services.config.retention,
      demo: services.config.meta === null,
      everyMinutes: services.config.metaHealth.everyMinutes,
      now: new Date().toISOString(),
      notice: NOTICES[ctx.url.searchParams.get("done") ?? ""],
    });
  },
});

export default define.page<SettingsData>(function Settings({ data }) {
  const now = new Date(data.now);
  const sweep = data.lastSweep;
  return (
    <section class="settings">
      <h1>Settings</h1>
      <p>
        <a href="/settings/integrations">
          Integrations: outbound webhooks and lead quality back to Meta
        </a>
      </p>
      <p>
        <a href="/settings/table">Lead table: the answers each form's rows show</a>
      </p>
      {data.notice && <p class="form-notice" role="status">{data.notice}</p>}

      <div class="toolbar">
        <h2>Meta</h2>
        <form method="post" action="/api/admin/meta-health">
          <button type="submit" class="button button-primary">Check now</button>
        </form>
      </div>
      {data.demo && (
        <p class="health-detail">
          Demo mode: these checks run against the built-in Graph API simulator, not Meta.
        </p>
      )}
      <MetaHealthReport stored={data.stored} now={now} everyMinutes={data.everyMinutes} />

      <h2>Sync with Meta</h2>
      <p data-last-sweep>
        {sweep
          ? (
            <>
              Last sweep {describeTime(sweep.finishedAt, now)}: {plural(sweep.scanned, "lead")}{" "}
              listed, {sweep.inserted} new, {plural(sweep.forms, "form")} read to the end.
              {sweep.error && <div class="health-detail">{sweep.error}</div>}
            </>
          )
          : "No sweep has run yet."}
      </p>

      <h2 id="deliveries">Webhook deliveries</h2>
      <p class="health-detail">
        The last {LOG_SIZE} deliveries to{" "}
        <code>/webhook</code>. Signed ones are kept byte for byte for{" "}
        {plural(data.retention.deliveryDays, "day")}{" "}
        and can be replayed (leads already stored are left as they are); refused ones show what
        arrived, never their body.
      </p>
      <DeliveryLog entries={data.deliveries} now={now} />

      <h2 id="erasures">Erased leads</h2>
      <p class="health-detail">
        {data.retention.leadDays === null
          ? "Leads are kept until an admin deletes them."
          : `Leads are deleted ${
            plural(data.retention.leadDays, "day")
          } after they were submitted.`}{" "}
        A lead an admin deletes leaves only this note: nothing of the person is kept.
      </p>
      {data.erasures.length === 0
        ? <p data-erasures>No lead has been erased.</p>
        : (
          <table class="health-table" data-erasures>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Lead</th>
                <th scope="col">Source and form</th>
                <th scope="col">Erased by</th>
              </tr>
            </thead>
            <tbody>
              {data.erasures.map((entry) => (
                <tr key={entry.id} data-erasure={entry.leadId}>
                  <td>
                    <time dateTime={entry.erasedAt}>{describeTime(entry.erasedAt, now)}</time>
                  </td>
                  <td>
                    <code>{entry.leadId}</code>
                  </td>
                  <td>{entry.formId ? `${entry.source}, form ${entry.formId}` : entry.source}</td>
                  <td>{entry.erasedBy.name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </section>
  );
});
