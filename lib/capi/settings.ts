// Which lead stages are reported to Meta's Conversions API, under which event name.

import { LEAD_STATUSES, type LeadStatus } from "../leads/model.ts";
import { capiSettingsKey } from "./keys.ts";

/** The stage map an admin sets. */
export interface CapiSettings {
  /** Lead status -> the event name Meta gets (the stage's name in the sales process). */
  stages: Partial<Record<LeadStatus, string>>;
}

/**
 * Until an admin changes it: qualified and won leads are reported, under the names of Meta's
 * Conversion Leads examples for such stages.
 */
export const DEFAULT_CAPI_SETTINGS: CapiSettings = {
  stages: { qualified: "Qualified Lead", won: "Converted" },
};

/** The stage map, or the defaults. */
export async function getCapiSettings(kv: Deno.Kv): Promise<CapiSettings> {
  return (await kv.get<CapiSettings>(capiSettingsKey())).value ?? DEFAULT_CAPI_SETTINGS;
}

/**
 * Checks `{stages: {<status>: "<event name>" | ""}}` (an empty name: not reported): returns the
 * settings or a sentence per field at fault (`stages.qualified`).
 */
export function checkCapiSettings(
  input: Record<string, unknown>,
): { ok: true; settings: CapiSettings } | { ok: false; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const raw = input.stages;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, fields: { stages: "The stages must be an object of status to name." } };
  }
  const stages: CapiSettings["stages"] = {};
  for (const [status, name] of Object.entries(raw)) {
    if (!LEAD_STATUSES.includes(status as LeadStatus)) {
      fields[`stages.${status}`] = `The stage must be one of ${LEAD_STATUSES.join(", ")}.`;
    } else if (typeof name !== "string" || name.trim().length > 50) {
      fields[`stages.${status}`] = "The event name must be text of at most 50 characters.";
    } else if (name.trim() !== "") stages[status as LeadStatus] = name.trim();
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, settings: { stages } };
}

/** Saves the stage map; stages already reported stay reported. */
export async function saveCapiSettings(kv: Deno.Kv, settings: CapiSettings): Promise<void> {
  await kv.set(capiSettingsKey(), settings);
}
