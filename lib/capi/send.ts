// One CRM event to Meta's Conversions API: `POST /{dataset_id}/events` with the lead's id exact.

import { classifyGraphError, GraphApiError, redactSecrets } from "../facebook/graph_errors.ts";
import { appSecretProof } from "../facebook/signature.ts";

/** What one report sends. */
export interface CrmEvent {
  /** The stage's name, as the admin mapped it. */
  eventName: string;
  /** Unix seconds: when the lead reached the stage. */
  eventTime: number;
  /** Meta's leadgen id, digits. */
  leadgenId: string;
}

/** Where and with what credentials. */
export interface CapiTarget {
  graphBase: string;
  version: string;
  datasetId: string;
  accessToken: string;
  appSecret: string;
  timeoutMs?: number;
}

/**
 * The `data` parameter: one event per Meta's Conversion Leads payload specification (action
 * source `system_generated`, `user_data.lead_id`, `custom_data.event_source` "crm" and
 * `lead_event_source` "Leadline"). Meta documents `lead_id` as an integer, and lead ids pass
 * 2^53: the digits are written into the JSON text as a number, never through a JS number.
 */
export function crmEventData(event: CrmEvent): string {
  if (!/^[1-9]\d{0,19}$/.test(event.leadgenId)) {
    throw new TypeError(`Cannot report lead ${event.leadgenId}: its id is not a Meta lead id`);
  }
  const marker = "__LEAD_ID__";
  const text = JSON.stringify([{
    event_name: event.eventName,
    event_time: event.eventTime,
    action_source: "system_generated",
    user_data: { lead_id: marker },
    custom_data: { event_source: "crm", lead_event_source: "Leadline" },
  }]);
  return text.replace(`"${marker}"`, event.leadgenId);
}

/** Sends one event; resolves with Meta's `events_received`, throws GraphApiError. */
export async function sendCrmEvent(target: CapiTarget, event: CrmEvent): Promise<number> {
  const where = `POST /${target.version}/${target.datasetId}/events`;
  const url = `${
    target.graphBase.replace(/\/+$/, "")
  }/${target.version}/${target.datasetId}/events`;
  // Token and proof in the form body, so no log of a URL ever holds them.
  const body = new URLSearchParams({
    data: crmEventData(event),
    access_token: target.accessToken,
    appsecret_proof: await appSecretProof(target.appSecret, target.accessToken),
  });
  const secrets = [target.accessToken, target.appSecret];
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
    text = await response.text();
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new GraphApiError({
      kind: "transient",
      message: `Graph API transient: ${where} failed: ${
        timedOut ? "no answer in time" : redactSecrets(String((error as Error)?.message), secrets)
      }`,
    });
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Classified from the status below.
  }
  const object = typeof parsed === "object" && parsed !== null
    ? parsed as Record<string, unknown>
    : null;
  if (!response.ok || object === null || "error" in object) {
    const error = classifyGraphError(response.status, parsed, response.headers);
    throw new GraphApiError({
      kind: error.kind,
      message: redactSecrets(`${error.message} on ${where}`, secrets),
      code: error.code,
      subcode: error.subcode,
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      fbtraceId: error.fbtraceId,
    });
  }
  return typeof object.events_received === "number" ? object.events_received : 0;
}
