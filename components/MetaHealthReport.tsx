// The Settings page's Meta section: tokens with their expiry countdown, pages with subscription, forms and webhooks.

import { describeExpiry, describeTime } from "../lib/meta_health/format.ts";
import type { StoredMetaHealth } from "../lib/meta_health/monitor.ts";
import type { CheckStatus, PageCheck } from "../lib/meta_health/types.ts";
import type { PageWebhookLoss } from "../lib/meta_health/webhook_loss.ts";

const STATUS_TEXT: Record<CheckStatus, string> = {
  ok: "OK",
  warning: "Warning",
  error: "Problem",
  unknown: "Unknown",
  skipped: "Not checked",
};

/** A coloured status word. */
export function StatusTag({ status }: { status: CheckStatus }) {
  return <span class={`tag tag-check-${status}`} data-status={status}>{STATUS_TEXT[status]}</span>;
}

function subscriptionText(page: PageCheck | undefined): string {
  if (!page || page.subscribed === null) return "unknown";
  if (!page.subscribed) return "not subscribed to leadgen";
  return page.subscribeResult === "subscribed" ? "leadgen (subscribed just now)" : "leadgen";
}

function formsText(page: PageCheck | undefined): string {
  const forms = page?.forms;
  if (!forms) return "not listed yet (the next sync lists them)";
  if (forms.length === 0) return "none";
  return forms.map((form) =>
    `${form.name ?? form.id}${
      form.status === "ACTIVE" ? "" : ` (${form.status?.toLowerCase() ?? "?"})`
    }`
  )
    .join(", ");
}

/** The whole Meta section of Settings; `now` is when the page is rendered. */
export function MetaHealthReport(
  { stored, now, everyMinutes }: {
    stored: StoredMetaHealth | null;
    now: Date;
    everyMinutes: number;
  },
) {
  if (stored === null) {
    return (
      <p class="empty" data-health-status="none">
        No check has run yet. The server checks Meta shortly after it starts and then every{" "}
        {everyMinutes === 1 ? "minute" : `${everyMinutes} minutes`}; Check now runs one at once.
      </p>
    );
  }
  const { report, loss } = stored;
  const lossByPage = new Map<string, PageWebhookLoss>(
    loss.pages.map((page) => [page.pageId, page]),
  );
  const pageIds = [...new Set([...report.pages.map((page) => page.pageId), ...lossByPage.keys()])];
  const lostHours = Math.round(loss.windowMs / 3_600_000);
  const overall: CheckStatus = report.status;
  return (
    <>
      <p class="health-summary" data-health-status={overall}>
        <StatusTag status={overall} /> {overall === "ok"
          ? "Meta is wired correctly."
          : `${report.problems.length} problem${report.problems.length === 1 ? "" : "s"} found.`}
        {" "}
        Last checked {describeTime(report.checkedAt, now)}
        {report.appId ? `, app ${report.appId}` : ", app unknown (META_APP_ID not set)"}.
        {stored.resumed > 0 &&
          ` ${stored.resumed} lead${stored.resumed === 1 ? "" : "s"} waiting on details resumed.`}
      </p>
      {report.problems.length > 0 && (
        <ul class="health-problems" data-health-problems>
          {report.problems.map((problem) => (
            <li key={`${problem.kind}:${problem.pageId ?? "app"}`} data-problem={problem.kind}>
              <strong>{problem.severity === "error" ? "Problem" : "Warning"}:</strong>{" "}
              {problem.message}
            </li>
          ))}
        </ul>
      )}

      <h3>Access tokens</h3>
      <table class="team-table health-table" data-health-tokens>
        <thead>
          <tr>
            <th>Token</th>
            <th>Status</th>
            <th>Type</th>
            <th>Expires</th>
            <th>Permissions</th>
          </tr>
        </thead>
        <tbody>
          {report.tokens.length === 0 && (
            <tr>
              <td colSpan={5}>No token is configured (META_ACCESS_TOKEN or META_PAGE_TOKENS).</td>
            </tr>
          )}
          {report.tokens.map((token) => (
            <tr key={token.label} data-token-label={token.label}>
              <td>
                {token.label}
                {token.pageId ? ` (page ${token.pageId})` : ""}
              </td>
              <td>
                <StatusTag status={token.status} />{" "}
                <span class="health-detail">{token.message}</span>
              </td>
              <td>{token.type ?? "unknown"}</td>
              <td data-token-expires>{describeExpiry(token.expiresAt, now)}</td>
              <td>
                {token.valid === null
                  ? "unknown"
                  : token.missingScopes.length > 0
                  ? <strong>missing {token.missingScopes.join(", ")}</strong>
                  : token.scopes.join(", ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h3>Pages</h3>
      <table class="team-table health-table" data-health-pages>
        <thead>
          <tr>
            <th>Page</th>
            <th>Status</th>
            <th>Webhooks</th>
            <th>Lead forms</th>
            <th>Last webhook lead</th>
            <th>Found only by sync ({lostHours} h / 7 days)</th>
          </tr>
        </thead>
        <tbody>
          {pageIds.length === 0 && (
            <tr>
              <td colSpan={6}>No page is known yet.</td>
            </tr>
          )}
          {pageIds.map((pageId) => {
            const page = report.pages.find((item) => item.pageId === pageId);
            const pageLoss = lossByPage.get(pageId);
            return (
              <tr key={pageId} data-page-id={pageId}>
                <td>
                  {page?.name ? `${page.name} ` : ""}
                  <span class="health-detail">{pageId}</span>
                </td>
                <td>
                  {page ? <StatusTag status={page.status} /> : <StatusTag status="skipped" />}{" "}
                  <span class="health-detail">{page?.message ?? "not checked"}</span>
                </td>
                <td data-page-subscription>{subscriptionText(page)}</td>
                <td>{formsText(page)}</td>
                <td data-page-last-webhook>
                  {pageLoss?.lastWebhookAt ? describeTime(pageLoss.lastWebhookAt, now) : "none yet"}
                </td>
                <td data-page-lost>
                  {pageLoss ? `${pageLoss.foundInWindow} / ${pageLoss.foundInRetention}` : "0 / 0"}
                  {pageLoss?.lost && (
                    <div>
                      <strong>Webhooks are being lost</strong>
                    </div>
                  )}
                  {pageLoss && pageLoss.recent.length > 0 && (
                    <div class="health-detail">
                      Latest: {pageLoss.recent.map((lead, i) => (
                        <>
                          {i > 0 && ", "}
                          <a href={`/leads/${lead.leadId}`}>{describeTime(lead.receivedAt, now)}</a>
                        </>
                      ))}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      <h3>Webhook URL</h3>
      <p data-health-webhook={report.webhook.status}>
        <StatusTag status={report.webhook.status} /> {report.webhook.url
          ? (
            <>
              <code>{report.webhook.url}</code>: {report.webhook.message}
            </>
          )
          : report.webhook.message}
      </p>
      {report.notes.length > 0 && (
        <ul class="health-notes">
          {report.notes.map((note) => <li key={note}>{note}</li>)}
        </ul>
      )}
    </>
  );
}
