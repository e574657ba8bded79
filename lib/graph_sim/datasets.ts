// The simulator's Conversions API: `POST /{dataset_id}/events` checked like Meta checks CRM events
// (Conversion Leads), and recorded so tests can see exactly what was sent.

/** One event the simulator took. */
export interface SimDatasetEvent {
  datasetId: string;
  eventName: string;
  eventTime: number;
  actionSource: string;
  /** `user_data.lead_id` as its exact digits. */
  leadId: string | null;
  /** True when `lead_id` was written as a JSON number (Meta documents an integer), not a string. */
  leadIdIsNumber: boolean;
  userData: Record<string, unknown>;
  customData: Record<string, unknown>;
  /** The event as its raw JSON text. */
  raw: string;
}

/** Events by dataset, in arrival order. */
export class SimDatasets {
  readonly events: SimDatasetEvent[] = [];
}

/**
 * Checks the `data` parameter of a dataset events call and returns its events, or the reason
 * Meta would give for refusing it (as a `(#100)` message).
 */
export function parseDatasetEvents(
  datasetId: string,
  data: string | null,
  nowS: number,
): SimDatasetEvent[] | string {
  if (data === null) return "The parameter data is required";
  const numericLeadIds: boolean[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      data,
      function (key, value, context?: { source?: string }) {
        if (key === "lead_id") {
          numericLeadIds.push(typeof value === "number");
          // The exact digits, never a rounded number.
          return typeof value === "number" ? context?.source ?? String(value) : value;
        }
        return value;
      } as (key: string, value: unknown) => unknown,
    );
  } catch {
    return "Param data must be a JSON array";
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 1000) {
    return "Param data must be an array of 1 to 1000 events";
  }
  const events: SimDatasetEvent[] = [];
  let leadIdIndex = 0;
  for (const [i, item] of parsed.entries()) {
    const event = (item ?? {}) as Record<string, unknown>;
    const userData = (event.user_data ?? null) as Record<string, unknown> | null;
    const customData = (event.custom_data ?? {}) as Record<string, unknown>;
    if (typeof event.event_name !== "string" || event.event_name === "") {
      return `Event ${i}: event_name is required`;
    }
    if (!Number.isInteger(event.event_time)) return `Event ${i}: event_time must be an integer`;
    const time = event.event_time as number;
    if (time > nowS + 60 || time < nowS - 7 * 86_400) {
      return `Event ${i}: event_time must be within the last 7 days`;
    }
    if (typeof event.action_source !== "string") return `Event ${i}: action_source is required`;
    if (!userData || typeof userData !== "object" || Object.keys(userData).length === 0) {
      return `Event ${i}: user_data must hold at least one customer information parameter`;
    }
    let leadId: string | null = null;
    let leadIdIsNumber = false;
    if ("lead_id" in userData) {
      leadId = String(userData.lead_id);
      leadIdIsNumber = numericLeadIds[leadIdIndex++] ?? false;
      if (!/^[1-9]\d{0,19}$/.test(leadId)) return `Event ${i}: lead_id must be a lead's id`;
    }
    if (customData.event_source === "crm") {
      // Conversion Leads: system generated, with the lead's id and the CRM's name.
      if (event.action_source !== "system_generated") {
        return `Event ${i}: CRM events need action_source system_generated`;
      }
      if (leadId === null) return `Event ${i}: CRM events need user_data.lead_id`;
      if (typeof customData.lead_event_source !== "string" || !customData.lead_event_source) {
        return `Event ${i}: CRM events need custom_data.lead_event_source`;
      }
    }
    events.push({
      datasetId,
      eventName: event.event_name,
      eventTime: time,
      actionSource: event.action_source,
      leadId,
      leadIdIsNumber,
      userData,
      customData,
      raw: JSON.stringify(item),
    });
  }
  return events;
}
