// Changes to many leads at once (the dashboard's selected rows): each lead through the store's
// own update, atomic per lead and checked against the ownership rules as one change would be, with
// what happened to each reported rather than all or nothing.

import { DomainError } from "../errors.ts";
import type { BulkAnswer } from "../wire.ts";
import { type LeadStatus } from "./model.ts";
import { assignLead, type LeadActor } from "./ownership.ts";
import { parseLeadStatus, setLeadStatus } from "./status.ts";
import type { LeadStore } from "./store.ts";

/** The most leads one bulk change takes. */
export const BULK_MAX = 500;

/** What a bulk change asks for: a new owner (null: nobody) or a new status, for these leads. */
export type BulkChange =
  | { action: "assign"; ids: string[]; ownerId: string | null }
  | { action: "status"; ids: string[]; status: LeadStatus };

/** A bulk request that cannot be run as asked; the message says why. */
export class BulkChangeError extends DomainError {
  /** Make the error; `message` is safe to show. */
  constructor(message: string) {
    super("invalid_input", message);
  }
}

/** The change a request body asks for (`{action, ids, ownerId | status}`); throws BulkChangeError. */
export function parseBulkChange(body: Record<string, unknown>): BulkChange {
  const ids = body.ids;
  if (
    !Array.isArray(ids) || ids.length === 0 || ids.some((id) => typeof id !== "string")
  ) {
    throw new BulkChangeError("Cannot change leads: ids must be a list of lead ids");
  }
  if (ids.length > BULK_MAX) {
    throw new BulkChangeError(`Cannot change leads: at most ${BULK_MAX} at once`);
  }
  const unique = [...new Set(ids as string[])];
  if (body.action === "assign") {
    const ownerId = body.ownerId;
    if (ownerId !== null && typeof ownerId !== "string") {
      throw new BulkChangeError("Cannot assign leads: ownerId must be a user id or null");
    }
    return { action: "assign", ids: unique, ownerId };
  }
  if (body.action === "status") {
    return { action: "status", ids: unique, status: parseLeadStatus(body.status) };
  }
  throw new BulkChangeError('Cannot change leads: action must be "assign" or "status"');
}

/**
 * Applies `change` to each lead, one store update each (so each is atomic and every dashboard gets
 * it), as `actor`: admins assign any lead to anyone; agents take unowned leads or release their
 * own (lib/leads/ownership.ts). A lead that cannot be changed is reported with the reason while
 * the others go on; only a failure of KV itself stops the run.
 */
export async function applyBulkChange(
  deps: { kv: Deno.Kv; store: LeadStore },
  change: BulkChange,
  actor: LeadActor,
): Promise<BulkAnswer> {
  let updated = 0;
  let unchanged = 0;
  const failed: BulkAnswer["failed"] = [];
  for (const id of change.ids) {
    try {
      if (change.action === "status") {
        const { outcome } = await setLeadStatus(deps.store, id, change.status, { by: actor.name });
        if (outcome === "not_found") failed.push({ id, error: `No lead has the id ${id}` });
        else if (outcome === "changed") updated++;
        else unchanged++;
      } else {
        const before = await deps.store.getLead(id);
        const lead = await assignLead(deps, id, change.ownerId, actor);
        if ((before?.ownerId ?? null) === (lead.ownerId ?? null)) unchanged++;
        else updated++;
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      failed.push({ id, error: error.message });
    }
  }
  return { updated, unchanged, failed, summary: bulkSummary(updated, unchanged, failed) };
}

/** "7 updated, 1 failed: Cannot change the lead's owner: Ana owns it; ask an admin". */
function bulkSummary(updated: number, unchanged: number, failed: BulkAnswer["failed"]): string {
  const parts = [`${updated} updated`];
  if (unchanged > 0) parts.push(`${unchanged} already so`);
  if (failed.length > 0) {
    const reasons = [...new Set(failed.map((f) => f.error.replace(/^Cannot [^:]+: /, "")))];
    const shown = reasons.slice(0, 2).join("; ") + (reasons.length > 2 ? "; …" : "");
    parts.push(`${failed.length} failed: ${shown}`);
  }
  return parts.join(", ");
}
