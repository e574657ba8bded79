// Maps a Graph API lead (field_data and ad attribution) into Leadline's lead details.

import { CONTACT_QUESTIONS } from "../format/lead_search.ts";
import { idString } from "./exact_json.ts";

/** One answer on a lead form as the Graph API returns it. */
export interface GraphFieldData {
  name: string;
  values: string[];
}

/** A lead as returned by `GET /{version}/{leadgen_id}` or `/{form_id}/leads`. IDs are strings. */
export interface GraphLead {
  id: string;
  /** Like "2026-11-28T13:21:00+0000". */
  created_time?: string;
  field_data?: GraphFieldData[];
  ad_id?: string;
  ad_name?: string;
  adset_id?: string;
  adset_name?: string;
  campaign_id?: string;
  campaign_name?: string;
  form_id?: string;
  is_organic?: boolean;
  platform?: string;
  custom_disclaimer_responses?: { checkbox_key?: string; is_checked?: string | boolean }[];
}

/** A form answer kept on the lead. */
export interface LeadAnswer {
  name: string;
  values: string[];
}

/**
 * The ad a lead came through, with its ad set and campaign; null where Meta did not say (an
 * organic lead, or a token without ads_management for the names).
 */
export interface LeadAdOrigin {
  adId: string | null;
  adName: string | null;
  adsetId: string | null;
  adsetName: string | null;
  campaignId: string | null;
  campaignName: string | null;
}

/** What Leadline keeps from a Graph lead; every value is null when Meta did not send it. */
export interface LeadDetails extends LeadAdOrigin {
  fullName: string | null;
  email: string | null;
  phone: string | null;
  /** Every field_data entry, in Meta's order, including name, email and phone. */
  answers: LeadAnswer[];
  formId: string | null;
  isOrganic: boolean | null;
  platform: string | null;
  /** ISO 8601 in UTC, e.g. "2026-11-28T13:21:00.000Z". */
  createdTime: string | null;
}

const NAME_FIELDS = ["full_name"];
const EMAIL_FIELDS = ["email", "work_email"];
const PHONE_FIELDS = ["phone_number", "phone", "work_phone_number"];

/**
 * field_data names (lower case) that hold the person's name, email or phone: the list the search
 * and the dashboard's table share (lib/format/lead_search.ts).
 */
export const CONTACT_FIELD_NAMES: ReadonlySet<string> = new Set(CONTACT_QUESTIONS);

function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function firstAnswer(answers: Map<string, string[]>, names: string[]): string | null {
  for (const name of names) {
    for (const value of answers.get(name) ?? []) {
      const found = text(value);
      if (found !== null) return found;
    }
  }
  return null;
}

/** Converts Meta's "2026-11-28T13:21:00+0000" (or any ISO form) into an ISO UTC string. */
export function graphTimeToIso(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;
  // Date parsing of "+0000" without a colon is not guaranteed by the spec; add the colon.
  const normalised = raw.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const time = Date.parse(normalised);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function answersOf(fieldData: unknown): LeadAnswer[] {
  if (!Array.isArray(fieldData)) return [];
  const answers: LeadAnswer[] = [];
  for (const item of fieldData) {
    if (typeof item !== "object" || item === null) continue;
    const { name, values } = item as { name?: unknown; values?: unknown };
    if (typeof name !== "string") continue;
    const list = Array.isArray(values) ? values : values === undefined ? [] : [values];
    answers.push({ name, values: list.map((value) => String(value)) });
  }
  return answers;
}

/**
 * Maps a Graph lead into LeadDetails: the name from `full_name` or `first_name` + `last_name`,
 * the email from `email`/`work_email`, the phone from `phone_number`/`phone`/`work_phone_number`,
 * and every field_data entry kept in `answers`. Field names match case-insensitively.
 */
export function mapLeadDetails(graphLead: GraphLead): LeadDetails {
  const answers = answersOf(graphLead.field_data);
  const byName = new Map<string, string[]>();
  for (const answer of answers) {
    const key = answer.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), ...answer.values]);
  }
  let fullName = firstAnswer(byName, NAME_FIELDS);
  if (fullName === null) {
    const parts = [firstAnswer(byName, ["first_name"]), firstAnswer(byName, ["last_name"])]
      .filter((part): part is string => part !== null);
    fullName = parts.length > 0 ? parts.join(" ") : null;
  }
  return {
    fullName,
    email: firstAnswer(byName, EMAIL_FIELDS),
    phone: firstAnswer(byName, PHONE_FIELDS),
    answers,
    adId: idString(graphLead.ad_id),
    adName: text(graphLead.ad_name),
    adsetId: idString(graphLead.adset_id),
    adsetName: text(graphLead.adset_name),
    campaignId: idString(graphLead.campaign_id),
    campaignName: text(graphLead.campaign_name),
    formId: idString(graphLead.form_id),
    isOrganic: typeof graphLead.is_organic === "boolean" ? graphLead.is_organic : null,
    platform: text(graphLead.platform),
    createdTime: graphTimeToIso(graphLead.created_time),
  };
}
