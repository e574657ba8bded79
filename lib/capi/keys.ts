// Every Deno KV key of the Conversions API for CRM, each built by one named function.

/** `["capi_settings"]` -> CapiSettings: which lead stages are reported to Meta, and as what. */
export function capiSettingsKey(): Deno.KvKey {
  return ["capi_settings"];
}

/**
 * `["capi_reports", leadId, status]` -> CapiReport, written in the commit that queues the report:
 * its existence is what makes a lead's stage reported once, however often the lead moves.
 */
export function capiReportKey(leadId: string, status: string): Deno.KvKey {
  return ["capi_reports", leadId, status];
}

/** The prefix of every report (the integrations page lists the latest). */
export const CAPI_REPORTS_PREFIX: Deno.KvKey = ["capi_reports"];
