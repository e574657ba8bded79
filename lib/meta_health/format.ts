// Prints a Meta health report as readable text tables for the terminal (`deno task meta:check`).

import { describeDuration } from "./check.ts";
import type { CheckStatus, MetaHealthReport, PageCheck, TokenCheck } from "./types.ts";

const STATUS_LABEL: Record<CheckStatus, string> = {
  ok: "ok",
  warning: "WARN",
  error: "ERROR",
  unknown: "UNKNOWN",
  skipped: "skipped",
};

/** Lays out rows in columns padded to the widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const line = (cells: string[]) =>
    "  " + cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i])).join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** "2026-05-01 12:00 UTC (in 3 days)" or "… (2 hours ago)" for an ISO 8601 time. */
export function describeTime(iso: string, now: Date): string {
  const at = Date.parse(iso);
  const when = `${iso.slice(0, 16).replace("T", " ")} UTC`;
  const delta = at - now.getTime();
  if (Math.abs(delta) < 60_000) return `${when} (just now)`;
  return delta > 0
    ? `${when} (in ${describeDuration(delta)})`
    : `${when} (${describeDuration(-delta)} ago)`;
}

/** "never", a time as describeTime writes it, or "unknown". */
export function describeExpiry(value: string | "never" | null, now: Date): string {
  if (value === null) return "unknown";
  if (value === "never") return "never";
  return describeTime(value, now);
}

function tokenRow(token: TokenCheck, now: Date): string[] {
  const permissions = token.valid === null
    ? "unknown"
    : token.missingScopes.length > 0
    ? `lacks ${token.missingScopes.join(", ")}`
    : `${token.scopes.length} granted, all required present`;
  return [
    STATUS_LABEL[token.status],
    token.label,
    token.type ?? "?",
    describeExpiry(token.expiresAt, now),
    permissions,
  ];
}

function pageRow(page: PageCheck): string[] {
  const subscribed = page.subscribed === null
    ? "?"
    : page.subscribed
    ? page.subscribeResult === "subscribed" ? "leadgen (just now)" : "leadgen"
    : page.subscribeResult === "failed"
    ? "NO (subscribing failed)"
    : "NO";
  const forms = page.forms === null
    ? "?"
    : `${
      page.forms.filter((form) => form.status === "ACTIVE").length
    } active / ${page.forms.length}`;
  return [
    STATUS_LABEL[page.status],
    page.name ? `${page.name} (${page.pageId})` : page.pageId,
    subscribed,
    forms,
    page.tokenLabel ?? "none",
  ];
}

/** The whole report as lines of text: tokens, pages, webhook, problems, notes and a verdict. */
export function formatReport(report: MetaHealthReport, options: { heading?: string } = {}): string {
  const now = new Date(report.checkedAt);
  const lines: string[] = [];
  lines.push(
    `Meta health, ${report.checkedAt.slice(0, 19).replace("T", " ")} UTC` +
      (report.appId ? `, app ${report.appId}` : ", app unknown (META_APP_ID not set)"),
  );
  if (options.heading) lines.push(options.heading);
  lines.push("", "Tokens");
  if (report.tokens.length === 0) lines.push("  (none configured)");
  else {
    lines.push(
      ...table(
        ["status", "token", "type", "expires", "permissions"],
        report.tokens.map((token) => tokenRow(token, now)),
      ),
    );
  }
  lines.push("", "Pages");
  if (report.pages.length === 0) lines.push("  (none checked)");
  else {
    lines.push(
      ...table(
        ["status", "page", "subscribed", "forms", "token"],
        report.pages.map(pageRow),
      ),
    );
  }
  lines.push("", "Webhook");
  lines.push(
    ...table(["status", "url", "result"], [[
      STATUS_LABEL[report.webhook.status],
      report.webhook.url ?? "(PUBLIC_URL not set)",
      report.webhook.message,
    ]]),
  );
  if (report.problems.length > 0) {
    lines.push("", "Problems");
    for (const problem of report.problems) {
      lines.push(`  ${problem.severity === "error" ? "ERROR" : "WARN "} ${problem.message}`);
    }
  }
  if (report.notes.length > 0) {
    lines.push("", "Notes");
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  const errors = report.problems.filter((problem) => problem.severity === "error").length;
  const warnings = report.problems.length - errors;
  lines.push(
    "",
    report.problems.length === 0
      ? "All checks passed."
      : `${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}: ` +
        `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${
          warnings === 1 ? "" : "s"
        }.`,
  );
  return lines.join("\n");
}
