// Who owns a lead: claiming it, assigning or releasing it, each checked against the lead as it is
// in the commit that changes it, so two people never both get the same lead.

import { getUser } from "../auth/users.ts";
import type { Lead, LeadTimelineEvent } from "./model.ts";
import { DomainError } from "../errors.ts";
import { LeadNotFoundError, type LeadStore, type OnLeadCommit } from "./store.ts";

/** The person acting: the signed-in user. */
export interface LeadActor {
  id: string;
  name: string;
  role: "admin" | "agent";
}

/** An owner as leads show it. */
export interface LeadOwner {
  id: string;
  name: string;
}

/** The lead already belongs to someone else (a claim lost the race): a conflict naming the owner. */
export class LeadClaimedError extends DomainError {
  /** Make the error for a lead that `owner` holds. */
  constructor(readonly owner: LeadOwner) {
    super("conflict", `Cannot claim the lead: ${owner.name} owns it already`, {
      details: { owner },
    });
  }
}

/** The actor may not make this change of owner (agents move leads only to or from themselves). */
export class OwnershipForbiddenError extends DomainError {
  /** Make the error; `message` is safe to show. */
  constructor(message: string) {
    super("forbidden", message);
  }
}

/** The owner asked for is no team member who can take leads (unknown or disabled). */
export class UnknownOwnerError extends DomainError {
  /** Make the error for user id `ownerId`. */
  constructor(ownerId: string) {
    super(
      "invalid_input",
      `Cannot assign the lead: no active team member has the id ${ownerId.slice(0, 40)}`,
    );
  }
}

/** Options of `changeLeadOwner`. */
export interface ChangeLeadOwnerOptions {
  /** The timeline's word for it: "claimed", "assigned", "released", "routed", "re-assigned". */
  event: string;
  /** More on the timeline line (e.g. why it was re-assigned). */
  detail?: string;
  /** Who did it; absent for routing. */
  by?: string | null;
  /** Extra fields to set with the owner (e.g. `routedAt`). */
  also?: Partial<Lead>;
}

/** The lead with `owner` (null: nobody) and a timeline line, or null when it already has that owner. */
export function changeLeadOwner(
  lead: Lead,
  owner: LeadOwner | null,
  now: Date,
  options: ChangeLeadOwnerOptions,
): Lead | null {
  const current = lead.ownerId ?? null;
  if (current === (owner?.id ?? null)) return null;
  const at = now.toISOString();
  const event: LeadTimelineEvent = { at, event: options.event };
  const detail = options.detail ??
    (owner ? `to ${owner.name}` : lead.ownerName ? `was ${lead.ownerName}'s` : undefined);
  if (detail) event.detail = detail;
  if (options.by) event.by = options.by;
  return {
    ...lead,
    ...options.also,
    ownerId: owner?.id ?? null,
    ownerName: owner?.name ?? null,
    assignedAt: owner ? at : null,
    timeline: [...lead.timeline, event],
    updatedAt: at,
  };
}

/** Options of the ownership changes. */
export interface OwnershipOptions {
  now?: () => Date;
  /** More writes for the same commit (e.g. the round robin's cursor). */
  onCommit?: OnLeadCommit;
}

/**
 * Claims lead `id` for `actor`. In the commit that writes the claim the lead must still be
 * unowned (the store checks the record's versionstamp and re-reads it on a race), so of two
 * people claiming at once exactly one gets the lead and the other a LeadClaimedError naming the
 * owner. Claiming a lead one already owns changes nothing. Throws LeadNotFoundError.
 */
export async function claimLead(
  store: LeadStore,
  id: string,
  actor: LeadActor,
  options: OwnershipOptions = {},
): Promise<Lead> {
  const now = options.now ?? (() => new Date());
  return await updateOwner(store, id, options, (lead) => {
    if (lead.ownerId && lead.ownerId !== actor.id) {
      throw new LeadClaimedError({ id: lead.ownerId, name: lead.ownerName ?? "someone" });
    }
    return changeLeadOwner(lead, actor, now(), { event: "claimed", detail: "", by: actor.name });
  });
}

/**
 * Gives lead `id` to `ownerId`, or releases it (null). Admins move any lead to any active team
 * member; agents only to themselves (a lead nobody owns) or away from themselves: anything else
 * throws OwnershipForbiddenError. The rule is checked against the lead in the commit that changes
 * it. Throws UnknownOwnerError for an unknown or disabled owner, LeadNotFoundError.
 */
export async function assignLead(
  deps: { kv: Deno.Kv; store: LeadStore },
  id: string,
  ownerId: string | null,
  actor: LeadActor,
  options: OwnershipOptions = {},
): Promise<Lead> {
  const now = options.now ?? (() => new Date());
  if (actor.role !== "admin" && ownerId !== null && ownerId !== actor.id) {
    throw new OwnershipForbiddenError(
      "Cannot assign the lead: agents can take leads only for themselves; ask an admin",
    );
  }
  let owner: LeadOwner | null = null;
  if (ownerId !== null) {
    const user = ownerId === actor.id ? actor : await getUser(deps.kv, ownerId);
    if (!user || ("disabled" in user && user.disabled)) throw new UnknownOwnerError(ownerId);
    owner = { id: user.id, name: user.name };
  }
  return await updateOwner(deps.store, id, options, (lead) => {
    const current = lead.ownerId ?? null;
    if (actor.role !== "admin" && current !== null && current !== actor.id) {
      throw new OwnershipForbiddenError(
        `Cannot change the lead's owner: ${lead.ownerName ?? "someone else"} owns it; ask an admin`,
      );
    }
    const event = owner === null
      ? "released"
      : owner.id === actor.id && current === null
      ? "claimed"
      : "assigned";
    return changeLeadOwner(lead, owner, now(), {
      event,
      detail: event === "claimed" ? "" : undefined,
      by: actor.name,
    });
  });
}

/**
 * Runs `change` on lead `id` in the commit that writes it (re-run on a race) and returns the lead
 * as it now is: changed, or as it was when `change` returned null. Throws LeadNotFoundError.
 */
async function updateOwner(
  store: LeadStore,
  id: string,
  options: OwnershipOptions,
  change: (lead: Lead) => Lead | null,
): Promise<Lead> {
  let unchanged: Lead | null = null;
  const changed = await store.updateLead(id, (lead) => {
    const next = change(lead);
    unchanged = next === null ? lead : null;
    return next;
  }, { onCommit: options.onCommit });
  const lead = changed ?? unchanged;
  if (lead === null) throw new LeadNotFoundError(id);
  return lead;
}
