// Leads entered by hand (phone, SMS, walk-in): field-by-field validation, duplicate flag, store.

import { isPhoneCountry } from "../format/phone.ts";
import { checkLeadEmail, normalisePhone } from "./contact.ts";
import { contactKeysOf, findPossibleDuplicate } from "./contact_index.ts";
import { type Lead, LeadValidationError, type ManualLeadInput, newManualLead } from "./model.ts";
import type { LeadStore } from "./store.ts";

/** The sources a person may pick for a hand-entered lead. */
export const MANUAL_SOURCES = ["phone", "sms", "walk-in", "other"] as const;

/**
 * Field name -> why its value was refused: a whole sentence that names the field ("The phone
 * number must have 10 digits (area code and number)."), safe to show next to the field as it is.
 */
export type FieldErrors = Record<string, string>;

/** A body checked: the input for `newManualLead`, or the reasons per field. */
export type ManualLeadCheck =
  | { ok: true; input: ManualLeadInput & { fullName: string } }
  | { ok: false; fields: FieldErrors };

const MAX = { fullName: 200, notes: 5_000, raw: 320 };

/** How a sentence names each field. */
const FIELD_NOUNS: Record<string, string> = {
  fullName: "The name",
  phone: "The phone number",
  email: "The email address",
  notes: "The notes",
};

function optionalText(
  body: Record<string, unknown>,
  name: string,
  fields: FieldErrors,
): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    fields[name] = `${FIELD_NOUNS[name] ?? `The field ${name}`} must be text.`;
    return null;
  }
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

/**
 * Checks a hand-entered lead: `fullName` required; `phone` and/or `email` (at least one), both
 * normalised (phone to E.164 when a country is known); `source` one of phone, sms, walk-in,
 * other; `notes` optional. `phoneCountry` (optional, e.g. "GB") is the country of a number typed
 * without its country code: absent means `defaultCountry`, `""` means none (the number is kept as
 * typed). Every bad field gets its own reason.
 */
export function checkManualLead(
  body: unknown,
  options: { defaultCountry: string | null },
): ManualLeadCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, fields: { body: "Send the lead as a JSON object." } };
  }
  const record = body as Record<string, unknown>;
  const fields: FieldErrors = {};
  const fullName = optionalText(record, "fullName", fields);
  if (fullName === null && !fields.fullName) fields.fullName = "Give the lead's name.";
  else if (fullName !== null && fullName.length > MAX.fullName) {
    fields.fullName = `The name must be at most ${MAX.fullName} characters.`;
  }

  const rawPhone = optionalText(record, "phone", fields);
  const rawEmail = optionalText(record, "email", fields);
  let phoneCountry = options.defaultCountry;
  if (record.phoneCountry !== undefined && record.phoneCountry !== null) {
    const chosen = typeof record.phoneCountry === "string"
      ? record.phoneCountry.trim().toUpperCase()
      : null;
    if (chosen === "") phoneCountry = null;
    else if (chosen !== null && isPhoneCountry(chosen)) phoneCountry = chosen;
    else {
      fields.phoneCountry =
        "Choose the phone number's country from the list, or none to keep the number as typed.";
    }
  }
  let phone: string | null = null;
  let email: string | null = null;
  if (rawPhone !== null) {
    const checked = rawPhone.length > MAX.raw
      ? { ok: false as const, reason: `is too long (at most ${MAX.raw} characters)` }
      : normalisePhone(rawPhone, phoneCountry);
    if (checked.ok) phone = checked.phone;
    // contact.ts says what is wrong with the value ("must have 10 digits"); name the field.
    else fields.phone = `The phone number ${checked.reason}.`;
  }
  if (rawEmail !== null) {
    const checked = checkLeadEmail(rawEmail);
    if (checked.ok) email = checked.email;
    else fields.email = `The email address ${checked.reason}.`;
  }
  if (rawPhone === null && rawEmail === null && !fields.phone && !fields.email) {
    fields.phone = "Give a phone number or an email address.";
    fields.email = "Give an email address or a phone number.";
  }

  const source = record.source;
  if (typeof source !== "string" || !(MANUAL_SOURCES as readonly string[]).includes(source)) {
    fields.source = `Choose where the lead came from: ${
      MANUAL_SOURCES.slice(0, -1).join(", ")
    } or ${MANUAL_SOURCES.at(-1)}.`;
  }
  const notes = optionalText(record, "notes", fields);
  if (notes !== null && notes.length > MAX.notes) {
    fields.notes = `The notes must be at most ${MAX.notes} characters.`;
  }

  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return {
    ok: true,
    input: {
      source: source as ManualLeadInput["source"],
      fullName: fullName!,
      phone,
      email,
      notes,
    },
  };
}

/** What `addManualLead` needs. */
export interface ManualLeadDeps {
  kv: Deno.Kv;
  store: LeadStore;
  /** Country for national phone numbers (`DEFAULT_PHONE_COUNTRY`), or null. */
  defaultCountry: string | null;
  /** How far back a Meta lead with the same phone or email counts (default 30 days). */
  duplicateWindowMs?: number;
  now?: () => Date;
}

/** The outcome of `addManualLead`. */
export type AddManualLeadResult = { ok: true; lead: Lead } | { ok: false; fields: FieldErrors };

/**
 * Checks and stores a hand-entered lead. It gets its own id, its source, and a change record (so
 * every open dashboard shows it); when a Meta lead of the window has the same phone or email it
 * is marked `possibleDuplicateOf` that lead (shown, never merged).
 */
export async function addManualLead(
  deps: ManualLeadDeps,
  body: unknown,
): Promise<AddManualLeadResult> {
  const checked = checkManualLead(body, { defaultCountry: deps.defaultCountry });
  if (!checked.ok) return checked;
  const now = deps.now ?? (() => new Date());
  let lead: Lead;
  try {
    lead = newManualLead(checked.input, now());
  } catch (error) {
    if (error instanceof LeadValidationError) return { ok: false, fields: { body: error.message } };
    throw error;
  }
  const match = await findPossibleDuplicate(deps.kv, deps.store, lead, {
    defaultCountry: deps.defaultCountry,
    windowMs: deps.duplicateWindowMs,
    now,
  });
  if (match) {
    const ours = contactKeysOf(lead, deps.defaultCountry).phone;
    const samePhone = ours !== null && ours === contactKeysOf(match, deps.defaultCountry).phone;
    lead = {
      ...lead,
      possibleDuplicateOf: match.id,
      timeline: [...lead.timeline, {
        at: now().toISOString(),
        event: "possible duplicate",
        detail: `same ${samePhone ? "phone" : "email"} as Meta lead ${match.fullName ?? match.id}`,
      }],
    };
  }
  const result = await deps.store.insertLeads([lead]);
  if (result.failed.length > 0) throw result.failed[0].error;
  return { ok: true, lead: result.inserted[0] ?? lead };
}
