// Builds and sends Meta-format leadgen webhook deliveries for simulated leads, signed with the app secret.

import { bytesToHex } from "../crypto.ts";
import { signBody } from "../facebook/signature.ts";
import type { SimLead } from "./state.ts";

/** Options for webhookBody and deliver. */
export interface WebhookBodyOptions {
  /** Write every ID as a raw JSON number (as Meta sometimes does), not a string. */
  idsAsNumbers?: boolean;
  /** The entry `time` (unix seconds); default now. */
  time?: number;
}

const ID_STRING = /"(id|[a-z]+_id)":"(\d+)"/g;

/** Turns `"x_id":"123"` into `"x_id":123` in JSON text, keeping the exact digits. */
export function idsToNumbers(json: string): string {
  return json.replace(ID_STRING, '"$1":$2');
}

/**
 * Builds the exact text of one webhook delivery for these leads: one entry per page (in first
 * appearance order), one leadgen change per lead, ad ids omitted for organic leads.
 */
export function webhookBody(leads: SimLead[], options: WebhookBodyOptions = {}): string {
  if (leads.length === 0) throw new Error("Cannot build webhook body: no leads given");
  const time = options.time ?? Math.floor(Date.now() / 1000);
  const entries = new Map<string, { id: string; time: number; changes: unknown[] }>();
  for (const lead of leads) {
    let entry = entries.get(lead.pageId);
    if (!entry) {
      entry = { id: lead.pageId, time, changes: [] };
      entries.set(lead.pageId, entry);
    }
    entry.changes.push({
      field: "leadgen",
      value: {
        ...(lead.adId ? { ad_id: lead.adId } : {}),
        form_id: lead.formId,
        leadgen_id: lead.id,
        created_time: lead.createdTime,
        page_id: lead.pageId,
        // "adgroup" is the legacy name of an ad, so Meta sends the ad id twice.
        ...(lead.adId ? { adgroup_id: lead.adId } : {}),
      },
    });
  }
  const json = JSON.stringify({ object: "page", entry: [...entries.values()] });
  return options.idsAsNumbers ? idsToNumbers(json) : json;
}

async function sha1Signature(appSecret: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(appSecret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  return `sha1=${bytesToHex(await crypto.subtle.sign("HMAC", key, body))}`;
}

/**
 * POSTs a signed delivery (X-Hub-Signature-256, and the legacy X-Hub-Signature) to a callback
 * URL, as Meta does. The caller must read or cancel the returned response's body.
 */
export async function deliverWebhook(
  appSecret: string,
  leads: SimLead[],
  callbackUrl: string,
  options: WebhookBodyOptions = {},
): Promise<Response> {
  const body = new TextEncoder().encode(webhookBody(leads, options));
  return await fetch(callbackUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "facebookexternalua",
      "x-hub-signature-256": await signBody(appSecret, body),
      "x-hub-signature": await sha1Signature(appSecret, body),
    },
    body,
  });
}
