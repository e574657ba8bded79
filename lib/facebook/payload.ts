// Parses a Meta webhook delivery (object "page", leadgen changes) from its raw JSON text.

import { canonicalIdString, parseJsonExactIds } from "./exact_json.ts";

/** One `leadgen` change: a lead was submitted on a page's form. IDs are exact digit strings. */
export interface LeadgenChange {
  leadgenId: string;
  /** The change's `page_id`, or the entry id when the change has none. */
  pageId: string;
  formId: string | null;
  /** Null for organic and test leads. */
  adId: string | null;
  adgroupId: string | null;
  /** Unix seconds. */
  createdTime: number;
}

/** An entry or change of a delivery that is not shaped as Meta sends them; it is left out. */
export interface RejectedChange {
  /** Where it is, e.g. `entry[0].changes[2]`. */
  path: string;
  /** Readable cause, e.g. `entry[0].changes[2].value.leadgen_id must be ...`. */
  reason: string;
}

/** A parsed webhook delivery. */
export interface WebhookDelivery {
  /** The subscribed object type, e.g. "page". Only "page" deliveries carry leadgen changes. */
  object: string;
  /** Number of entries in the delivery. */
  entries: number;
  /** Leadgen changes in delivery order (duplicates are kept; the store dedupes on leadgenId). */
  leadgen: LeadgenChange[];
  /** Distinct names of the other change fields that were present and skipped, e.g. "feed". */
  ignoredFields: string[];
  /**
   * Entries and changes left out because they are malformed (a leadgen_id that is not a canonical
   * id, a value that is not an object, ...). One bad change never spoils the others.
   */
  rejected: RejectedChange[];
}

/** Thrown when a delivery is not JSON or not shaped like a Meta delivery; `reason` says where. */
export class PayloadError extends Error {
  /** Readable cause, e.g. `entry[0].changes[1].value.leadgen_id is missing`. */
  readonly reason: string;

  /** Creates the error with its reason. */
  constructor(reason: string) {
    super(`Cannot parse webhook delivery: ${reason}`);
    this.name = "PayloadError";
    this.reason = reason;
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function describeId(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  // Ids written in plain digits became strings while parsing; a number left is written otherwise.
  if (typeof value === "number") return "a number not written in plain digits";
  return describe(value);
}

function requiredId(value: unknown, path: string): string {
  if (value === undefined || value === null) throw new PayloadError(`${path} is missing`);
  const id = canonicalIdString(value);
  if (id === null) {
    throw new PayloadError(
      `${path} must be a digit string or integer: a positive whole number in plain digits, ` +
        `no leading zero, at most 20 digits; got ${describeId(value)}`,
    );
  }
  return id;
}

function optionalId(value: unknown, path: string): string | null {
  // Meta sends "" for absent ad ids on some test leads; treat it like a missing id.
  if (value === undefined || value === null || value === "") return null;
  return requiredId(value, path);
}

function unixSeconds(value: unknown): number | null {
  let seconds: number | null = null;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) seconds = value;
  else if (typeof value === "string" && /^\d{1,16}$/.test(value)) seconds = Number(value);
  if (seconds === null) return null;
  // Some Meta objects report milliseconds; anything past year 5000 in seconds is milliseconds.
  if (seconds > 1e11) seconds = seconds / 1000;
  return Math.floor(seconds);
}

function parseLeadgenValue(value: unknown, entryId: string, entryTime: unknown, path: string) {
  if (!isObject(value)) throw new PayloadError(`${path} must be an object, got ${describe(value)}`);
  const leadgenId = requiredId(value.leadgen_id, `${path}.leadgen_id`);
  const pageId = optionalId(value.page_id, `${path}.page_id`) ?? entryId;
  const createdTime = unixSeconds(value.created_time) ?? unixSeconds(entryTime);
  if (createdTime === null) {
    throw new PayloadError(
      `${path}.created_time must be unix seconds, got ${describe(value.created_time)}`,
    );
  }
  return {
    leadgenId,
    pageId,
    formId: optionalId(value.form_id, `${path}.form_id`),
    adId: optionalId(value.ad_id, `${path}.ad_id`),
    adgroupId: optionalId(value.adgroup_id, `${path}.adgroup_id`),
    createdTime,
  } satisfies LeadgenChange;
}

/**
 * Parses the exact raw text of a webhook delivery. IDs may be JSON strings or JSON numbers of any
 * size; they come out as the exact digits of the raw text, and only in canonical form (see
 * CANONICAL_ID): `1e5`, `0.0` or a leading zero are refused, so one lead never gets two ids.
 * A delivery for another object than "page" comes back with no leadgen changes (the caller
 * acknowledges and ignores it). An entry or change that is malformed is left out and listed in
 * `rejected`; the rest of the delivery is parsed all the same.
 * Throws PayloadError when the text is not JSON or is not shaped like a delivery at all.
 */
export function parseWebhookDelivery(rawText: string): WebhookDelivery {
  let root: unknown;
  try {
    // A UTF-8 byte order mark is not JSON but some proxies add it.
    root = parseJsonExactIds(rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText);
  } catch (error) {
    throw new PayloadError(`body is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(root)) throw new PayloadError(`body must be a JSON object, got ${describe(root)}`);
  if (typeof root.object !== "string" || root.object === "") {
    throw new PayloadError(`object is missing or not a string`);
  }
  if (!Array.isArray(root.entry)) {
    throw new PayloadError(`entry must be an array, got ${describe(root.entry)}`);
  }
  const delivery: WebhookDelivery = {
    object: root.object,
    entries: root.entry.length,
    leadgen: [],
    ignoredFields: [],
    rejected: [],
  };
  if (root.object !== "page") return delivery;

  const ignored = new Set<string>();
  const reject = (path: string, error: unknown) => {
    if (!(error instanceof PayloadError)) throw error;
    delivery.rejected.push({ path, reason: error.reason });
  };
  root.entry.forEach((entry: unknown, entryIndex: number) => {
    const entryPath = `entry[${entryIndex}]`;
    let entryId: string;
    let changes: unknown[];
    try {
      if (!isObject(entry)) {
        throw new PayloadError(`${entryPath} must be an object, got ${describe(entry)}`);
      }
      entryId = requiredId(entry.id, `${entryPath}.id`);
      // Entries for other page subscriptions (e.g. "messaging") carry no changes array.
      if (entry.changes === undefined) return;
      if (!Array.isArray(entry.changes)) {
        throw new PayloadError(
          `${entryPath}.changes must be an array, got ${describe(entry.changes)}`,
        );
      }
      changes = entry.changes;
    } catch (error) {
      return reject(entryPath, error);
    }
    changes.forEach((change: unknown, changeIndex: number) => {
      const changePath = `${entryPath}.changes[${changeIndex}]`;
      try {
        if (!isObject(change)) {
          throw new PayloadError(`${changePath} must be an object, got ${describe(change)}`);
        }
        if (typeof change.field !== "string") {
          throw new PayloadError(`${changePath}.field is missing or not a string`);
        }
        if (change.field !== "leadgen") {
          ignored.add(change.field);
          return;
        }
        delivery.leadgen.push(
          parseLeadgenValue(change.value, entryId, entry.time, `${changePath}.value`),
        );
      } catch (error) {
        reject(changePath, error);
      }
    });
  });
  delivery.ignoredFields = [...ignored];
  return delivery;
}
