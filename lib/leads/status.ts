// A person changes a lead's status (called, qualified, won, lost): the request checked, the change recorded.

import {
  changeLeadStatus,
  type Lead,
  LEAD_STATUSES,
  type LeadStatus,
  LeadValidationError,
} from "./model.ts";
import { LeadNotFoundError, type LeadStore } from "./store.ts";

/** The status `value` names; throws LeadValidationError (its message safe to show) otherwise. */
export function parseLeadStatus(value: unknown): LeadStatus {
  if (typeof value !== "string" || !LEAD_STATUSES.includes(value as LeadStatus)) {
    const shown = typeof value === "string" ? `"${value.slice(0, 40)}"` : String(typeof value);
    throw new LeadValidationError(
      `Cannot change lead status: ${shown} is not one of ${LEAD_STATUSES.join(", ")}`,
    );
  }
  return value as LeadStatus;
}

/**
 * The status asked for by a change request's body (`{ "status": "contacted" }`). Only `status`
 * may be changed this way: any other field is refused rather than silently ignored, so a client
 * that thinks it edited a name learns that it did not.
 */
export function parseStatusChange(body: Record<string, unknown>): LeadStatus {
  const others = Object.keys(body).filter((key) => key !== "status");
  if (others.length > 0) {
    throw new LeadValidationError(
      `Cannot change lead: only "status" can be changed here, not ${
        others.slice(0, 5).map((key) => `"${key.slice(0, 40)}"`).join(", ")
      }`,
    );
  }
  if (!("status" in body)) {
    throw new LeadValidationError('Cannot change lead: the body has no "status"');
  }
  return parseLeadStatus(body.status);
}

/** What a `PATCH /api/leads/:id` body asks for: a status, an owner (null: nobody), or both. */
export interface LeadPatch {
  status?: LeadStatus;
  ownerId?: string | null;
}

/**
 * The change a PATCH body asks for (`{ "status": "contacted" }`, `{ "ownerId": "<user id>" }` or
 * `{ "ownerId": null }`). Any other field is refused rather than silently ignored, so a client that
 * thinks it edited a name learns that it did not.
 */
export function parseLeadPatch(body: Record<string, unknown>): LeadPatch {
  const others = Object.keys(body).filter((key) => key !== "status" && key !== "ownerId");
  if (others.length > 0) {
    throw new LeadValidationError(
      `Cannot change lead: only "status" and "ownerId" can be changed here, not ${
        others.slice(0, 5).map((key) => `"${key.slice(0, 40)}"`).join(", ")
      }`,
    );
  }
  if (!("status" in body) && !("ownerId" in body)) {
    throw new LeadValidationError('Cannot change lead: the body has no "status" or "ownerId"');
  }
  const patch: LeadPatch = {};
  if ("status" in body) patch.status = parseLeadStatus(body.status);
  if ("ownerId" in body) {
    const owner = body.ownerId;
    if (owner !== null && (typeof owner !== "string" || !/^[0-9A-Z]{26}$/.test(owner))) {
      throw new LeadValidationError(
        'Cannot change lead: "ownerId" must be a team member\'s id or null (nobody)',
      );
    }
    patch.ownerId = owner;
  }
  return patch;
}

/** What `setLeadStatus` did. */
export interface SetLeadStatusResult {
  /** `unchanged`: the lead already had that status, nothing was written or pushed. */
  outcome: "changed" | "unchanged" | "not_found";
  /** The lead as it is now; null when not found. */
  lead: Lead | null;
}

/** Options of `setLeadStatus`. */
export interface SetLeadStatusOptions {
  /** Who changes it (a user's name), for the timeline. */
  by?: string | null;
  /** Clock for the timeline entry (default the real one). */
  now?: () => Date;
}

/**
 * Puts lead `id` in `status` through the store, which records a change that every open
 * dashboard receives. Setting the status it already has writes nothing.
 */
export async function setLeadStatus(
  store: LeadStore,
  id: string,
  status: LeadStatus,
  options: SetLeadStatusOptions = {},
): Promise<SetLeadStatusResult> {
  const now = options.now ?? (() => new Date());
  let unchanged: Lead | null = null;
  try {
    const changed = await store.updateLead(id, (lead) => {
      const next = changeLeadStatus(lead, status, now(), { by: options.by });
      unchanged = next === null ? lead : null;
      return next;
    });
    if (changed !== null) return { outcome: "changed", lead: changed };
    return { outcome: "unchanged", lead: unchanged };
  } catch (error) {
    if (error instanceof LeadNotFoundError) return { outcome: "not_found", lead: null };
    throw error;
  }
}
