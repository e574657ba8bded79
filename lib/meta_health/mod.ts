// Meta health: checks of tokens, page subscriptions and the webhook URL, webhook loss, alerts, resumed leads.

export * from "./alerts.ts";
export * from "./check.ts";
export * from "./for_app.ts";
export * from "./format.ts";
export * from "./lead_origin.ts";
export * from "./monitor.ts";
export * from "./resume.ts";
export type * from "./types.ts";
export * from "./webhook_loss.ts";
