// Flags a Meta lead as a possible duplicate when the same person (phone or email) submitted a Meta
// form before within the window, so both submissions show up linked instead of being worked twice.

import { findPossibleDuplicate } from "./contact_index.ts";
import { contactKeysOf } from "./contact_index.ts";
import { catchUpLeadFollower } from "./lead_follower.ts";
import type { Lead } from "./model.ts";
import { LeadNotFoundError, type LeadStore } from "./store.ts";

/** What the check needs. */
export interface RepeatSubmissionDeps {
  kv: Deno.Kv;
  store: LeadStore;
  /** Country for national phone numbers (`DEFAULT_PHONE_COUNTRY`), or null. */
  defaultCountry: string | null;
  /** How far back an earlier submission counts (default 30 days). */
  windowMs?: number;
  now?: () => Date;
}

/** The name of the lead follower that runs the check. */
const FOLLOWER = "meta_repeat_submissions";

/**
 * Checks every Meta lead changed since the last call (they get their phone and email when their
 * details arrive, which is a change) against the earlier Meta leads of the window: one with the
 * same phone or email is marked `possibleDuplicateOf` the newest such earlier lead, with a line on
 * its timeline. Marks only the later submission; nothing is ever merged. Returns how many it marked.
 */
export async function flagRepeatSubmissions(deps: RepeatSubmissionDeps): Promise<number> {
  let flagged = 0;
  await catchUpLeadFollower(deps.kv, deps.store, FOLLOWER, {
    async visit(leads) {
      const seen = new Set<string>();
      for (const lead of leads) {
        if (seen.has(lead.id) || !needsCheck(lead)) continue;
        seen.add(lead.id);
        if (await flagOne(deps, lead)) flagged++;
      }
    },
    // Changes that expired unread are old: their leads were checked then, or are past the window.
    async rebuild() {},
  });
  return flagged;
}

function needsCheck(lead: Lead): boolean {
  return lead.source === "meta" && lead.details === "fetched" && !lead.possibleDuplicateOf &&
    (lead.phone !== null || lead.email !== null);
}

async function flagOne(deps: RepeatSubmissionDeps, lead: Lead): Promise<boolean> {
  const now = deps.now ?? (() => new Date());
  const match = await findPossibleDuplicate(deps.kv, deps.store, lead, {
    defaultCountry: deps.defaultCountry,
    windowMs: deps.windowMs,
    now,
    earlierThan: lead,
  });
  if (!match) return false;
  const ours = contactKeysOf(lead, deps.defaultCountry).phone;
  const samePhone = ours !== null && ours === contactKeysOf(match, deps.defaultCountry).phone;
  try {
    const changed = await deps.store.updateLead(lead.id, (current) => {
      if (current.possibleDuplicateOf) return null;
      const at = now().toISOString();
      return {
        ...current,
        possibleDuplicateOf: match.id,
        timeline: [...current.timeline, {
          at,
          event: "possible duplicate",
          detail: `same ${samePhone ? "phone" : "email"} as the earlier Meta lead ${
            match.fullName ?? match.id
          }`,
        }],
        updatedAt: at,
      };
    });
    return changed !== null;
  } catch (error) {
    if (error instanceof LeadNotFoundError) return false;
    throw error;
  }
}
