// Reconciliation with Meta: find leads the webhook missed, by sweeping every known form's leads.

export * from "./cron.ts";
export * from "./forms.ts";
export { leadFromGraph } from "./graph_lead.ts";
export * from "./pages.ts";
export * from "./reconciler.ts";
export type { SweepOutcome } from "./sweep.ts";
export * from "./types.ts";
export { createAppReconciler } from "./for_app.ts";
