// Webhook destinations: where admins send lead events (a Zapier, Make or n8n catch hook, a CRM),
// each with its event filter and its own signing secret.

import { randomToken } from "../crypto.ts";
import { DomainError } from "../errors.ts";
import { ulid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
import { LEAD_EVENT_TYPES, type LeadEventType } from "../lead_events/events.ts";
import { destinationKey, DESTINATIONS_PREFIX } from "./keys.ts";

/** One destination as stored; `secret` is never served after it was shown once. */
export interface WebhookDestination {
  id: string;
  url: string;
  events: LeadEventType[];
  /** What it is for, e.g. "HubSpot via Zapier". */
  description: string;
  /** Signs every delivery (see sign.ts). Secret. */
  secret: string;
  /** ISO 8601; events before it are never sent to it. */
  createdAt: string;
  /** Name of the admin who added it. */
  createdBy: string | null;
}

/** A destination as the API and pages show it: no secret; whether its URL is unencrypted. */
export interface WebhookDestinationJson {
  id: string;
  url: string;
  events: LeadEventType[];
  description: string;
  createdAt: string;
  createdBy: string | null;
  /** Set when the URL is plain http (allowed for loopback and private networks only). */
  warning: string | null;
}

/** What an admin sends to add or change a destination. */
export interface DestinationInput {
  url?: unknown;
  events?: unknown;
  description?: unknown;
}

/** The input is not a usable destination (invalid input); a whole sentence per field at fault. */
export class DestinationInputError extends DomainError {
  /** Make the error with its field reasons, which answers carry as `fields`. */
  constructor(readonly fields: Record<string, string>) {
    super("invalid_input", "Cannot save the webhook destination: some fields are not right", {
      details: { fields },
    });
  }
}

/** Destinations at most: each lead event is one KV commit with a write per destination. */
export const MAX_DESTINATIONS = 20;

/** True for hosts on this machine or a private network, where plain http is allowed. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  // IPv6: unique local (fc00::/7) and link-local (fe80::/10). A name is never one of these,
  // even one that starts with the same letters (fcm.googleapis.com).
  if (host.includes(":")) return /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!v4) return false;
  const [a, b] = [Number(v4[1]), Number(v4[2])];
  return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) || (a === 169 && b === 254) || a === 0;
}

/** The warning a plain-http destination carries, or null. */
export function destinationWarning(url: string): string | null {
  return url.startsWith("http:")
    ? "This address is not encrypted (http): lead data crosses the network in the clear. Use it " +
      "only on this machine or a private network."
    : null;
}

/** Checks an admin's input; `current` fills what a change leaves out. Throws DestinationInputError. */
export function checkDestinationInput(
  input: DestinationInput,
  current?: Pick<WebhookDestination, "url" | "events" | "description">,
): Pick<WebhookDestination, "url" | "events" | "description"> {
  const fields: Record<string, string> = {};
  let url = current?.url ?? "";
  if (input.url !== undefined || !current) {
    const raw = typeof input.url === "string" ? input.url.trim() : "";
    let parsed: URL | null = null;
    try {
      parsed = raw.length <= 2_000 ? new URL(raw) : null;
    } catch {
      parsed = null;
    }
    if (!parsed || !["https:", "http:"].includes(parsed.protocol)) {
      fields.url = "The URL must be a web address starting with https://.";
    } else if (parsed.username || parsed.password) {
      fields.url = "The URL must not hold a user name or password.";
    } else if (parsed.protocol === "http:" && !isPrivateHost(parsed.hostname)) {
      fields.url = "The URL must start with https:// (plain http only for this machine or a " +
        "private network).";
    } else url = parsed.href;
  }
  let events = current?.events ?? [];
  if (input.events !== undefined || !current) {
    const list = Array.isArray(input.events)
      ? input.events
      : typeof input.events === "string"
      ? [input.events]
      : [];
    const unknown = list.filter((type) => !LEAD_EVENT_TYPES.includes(type as LeadEventType));
    if (list.length === 0 || unknown.length > 0) {
      fields.events = `The events must be one or more of ${LEAD_EVENT_TYPES.join(", ")}.`;
    } else events = LEAD_EVENT_TYPES.filter((type) => list.includes(type));
  }
  let description = current?.description ?? "";
  if (input.description !== undefined) {
    if (typeof input.description !== "string" || input.description.length > 200) {
      fields.description = "The description must be text of at most 200 characters.";
    } else description = input.description.trim();
  }
  if (Object.keys(fields).length > 0) throw new DestinationInputError(fields);
  return { url, events, description };
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newDestinationSecret(): string {
  return `whsec_${randomToken(32)}`;
}

/** Adds a destination; returns it (with its secret, to show once). */
export async function addDestination(
  kv: Deno.Kv,
  input: DestinationInput,
  options: { by?: string | null; now?: Date } = {},
): Promise<WebhookDestination> {
  const checked = checkDestinationInput(input);
  if ((await listDestinations(kv)).length >= MAX_DESTINATIONS) {
    throw new DestinationInputError({
      url: `There can be at most ${MAX_DESTINATIONS} destinations; remove one first.`,
    });
  }
  const now = options.now ?? new Date();
  const destination: WebhookDestination = {
    id: ulid(now.getTime()),
    ...checked,
    secret: newDestinationSecret(),
    createdAt: now.toISOString(),
    createdBy: options.by ?? null,
  };
  await kv.set(destinationKey(destination.id), destination);
  return destination;
}

/** Every destination, oldest first. */
export async function listDestinations(kv: Deno.Kv): Promise<WebhookDestination[]> {
  const out: WebhookDestination[] = [];
  for await (const entry of kv.list<WebhookDestination>({ prefix: DESTINATIONS_PREFIX })) {
    out.push(entry.value);
  }
  return out;
}

/** Whether any destination exists (one key read). */
export async function anyDestination(kv: Deno.Kv): Promise<boolean> {
  for await (const _ of kv.list({ prefix: DESTINATIONS_PREFIX }, { limit: 1 })) return true;
  return false;
}

/** One destination, or null. */
export async function getDestination(kv: Deno.Kv, id: string): Promise<WebhookDestination | null> {
  return (await kv.get<WebhookDestination>(destinationKey(id))).value;
}

/**
 * Changes a destination's URL, events or description, and with `rotateSecret` gives it a new
 * secret (returned, to show once). Null when there is no such destination.
 */
export async function updateDestination(
  kv: Deno.Kv,
  id: string,
  input: DestinationInput & { rotateSecret?: unknown },
): Promise<WebhookDestination | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<WebhookDestination>(destinationKey(id));
    if (entry.value === null) return null;
    const next: WebhookDestination = {
      ...entry.value,
      ...checkDestinationInput(input, entry.value),
      secret: input.rotateSecret === true ? newDestinationSecret() : entry.value.secret,
    };
    if ((await commitAtomic(kv.atomic().check(entry).set(entry.key, next))).ok) return next;
  }
  throw new Error(`Cannot change webhook destination ${id}: it kept changing`);
}

/** Removes a destination; its pending deliveries fail as their jobs run. True when it existed. */
export async function removeDestination(kv: Deno.Kv, id: string): Promise<boolean> {
  const entry = await kv.get(destinationKey(id));
  if (entry.versionstamp === null) return false;
  await kv.delete(destinationKey(id));
  return true;
}

/** The destination as served: without its secret. */
export function toDestinationJson(destination: WebhookDestination): WebhookDestinationJson {
  return {
    id: destination.id,
    url: destination.url,
    events: destination.events,
    description: destination.description,
    createdAt: destination.createdAt,
    createdBy: destination.createdBy,
    warning: destinationWarning(destination.url),
  };
}
