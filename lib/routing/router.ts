// Automatic routing: new leads go round robin to the agents on shift, and a lead nobody contacted
// within the set minutes goes to the next one; both with a line on the lead's timeline.

import { leadByAssignedKey, leadUnownedWaitingKey } from "../leads/keys.ts";
import { isWaiting } from "../leads/indexes.ts";
import type { Lead } from "../leads/model.ts";
import { changeLeadOwner, type LeadOwner } from "../leads/ownership.ts";
import { LeadNotFoundError, type LeadStore } from "../leads/store.ts";
import { roundRobinKey } from "./keys.ts";
import { getTeamSettings, isWithinWorkingHours, type TeamSettings } from "./settings.ts";
import { listOnShift } from "./shift.ts";

/** What routing needs. */
export interface RoutingDeps {
  kv: Deno.Kv;
  store: LeadStore;
  /** Clock (default the real one); tests inject one. */
  now?: () => Date;
}

/** Leads one pass looks at, at most. */
const PASS_LIMIT = 100;

/**
 * The agent on shift after the one who got the last lead (round robin by user id), skipping
 * `exclude`; null when nobody (else) is on shift.
 */
export async function pickNextAgent(
  kv: Deno.Kv,
  options: { exclude?: string | null } = {},
): Promise<LeadOwner | null> {
  const agents = (await listOnShift(kv)).filter((agent) => agent.id !== options.exclude);
  if (agents.length === 0) return null;
  const last = (await kv.get<string>(roundRobinKey())).value;
  return agents.find((agent) => last === null || agent.id > last) ?? agents[0];
}

/** Whether routing may hand out leads at `ms` under `settings`. */
export function routingActive(settings: TeamSettings, ms: number): boolean {
  return settings.routing.enabled && isWithinWorkingHours(settings, ms);
}

/**
 * Hands each waiting lead nobody owns, created since routing was switched on, to the next agent
 * on shift. Each hand-out is one lead write that re-checks the lead is still unowned and waiting
 * and moves the round robin in the same commit. Returns how many leads it routed.
 */
export async function routeNewLeads(
  deps: RoutingDeps,
  settings?: TeamSettings,
): Promise<number> {
  const now = deps.now ?? (() => new Date());
  const team = settings ?? await getTeamSettings(deps.kv);
  const since = team.routing.since ? Date.parse(team.routing.since) : NaN;
  if (!routingActive(team, now().getTime()) || !Number.isFinite(since)) return 0;
  const ids: string[] = [];
  const iter = deps.kv.list<string>(
    {
      start: leadUnownedWaitingKey(since, ""),
      end: leadUnownedWaitingKey(Number.MAX_SAFE_INTEGER, ""),
    },
    { limit: PASS_LIMIT },
  );
  for await (const entry of iter) ids.push(entry.value);
  let routed = 0;
  for (const id of ids) {
    const agent = await pickNextAgent(deps.kv);
    if (agent === null) break;
    const lead = await handOut(deps, id, agent, (lead) => lead.ownerId === null, {
      event: "routed",
      detail: `to ${agent.name} (round robin)`,
      routed: true,
    });
    if (lead) routed++;
  }
  return routed;
}

/**
 * Re-assigns each waiting lead whose owner got it more than `reassignAfterMinutes` ago (and
 * after routing was switched on) to the next agent on shift other than that owner, with the reason
 * on its timeline. Off unless the minutes are set. Returns how many leads it moved.
 */
export async function reassignOverdueLeads(
  deps: RoutingDeps,
  settings?: TeamSettings,
): Promise<number> {
  const now = deps.now ?? (() => new Date());
  const team = settings ?? await getTeamSettings(deps.kv);
  const minutes = team.routing.reassignAfterMinutes;
  const since = team.routing.since ? Date.parse(team.routing.since) : NaN;
  const at = now().getTime();
  if (!minutes || !routingActive(team, at) || !Number.isFinite(since)) return 0;
  const cutoff = at - minutes * 60_000;
  if (cutoff < since) return 0;
  const overdue: { id: string; owner: string }[] = [];
  const iter = deps.kv.list<string>(
    { start: leadByAssignedKey(since, ""), end: leadByAssignedKey(cutoff + 1, "") },
    { limit: PASS_LIMIT },
  );
  for await (const entry of iter) {
    overdue.push({ id: entry.key[2] as string, owner: entry.value });
  }
  let moved = 0;
  for (const { id, owner } of overdue) {
    const agent = await pickNextAgent(deps.kv, { exclude: owner });
    if (agent === null) break;
    const lead = await handOut(
      deps,
      id,
      agent,
      (lead) =>
        lead.ownerId === owner && lead.assignedAt !== null &&
        Date.parse(lead.assignedAt) <= cutoff,
      {
        event: "re-assigned",
        detail: (lead) =>
          `from ${lead.ownerName ?? "its owner"} to ${agent.name}: not contacted within ` +
          `${minutes} min`,
        routed: false,
      },
    );
    if (lead) moved++;
  }
  return moved;
}

async function handOut(
  deps: RoutingDeps,
  id: string,
  agent: LeadOwner,
  still: (lead: Lead) => boolean,
  how: { event: string; detail: string | ((lead: Lead) => string); routed: boolean },
): Promise<Lead | null> {
  const now = deps.now ?? (() => new Date());
  try {
    return await deps.store.updateLead(id, (lead) => {
      // The lead as it is in this commit: someone may have claimed or called it meanwhile.
      if (!isWaiting(lead) || !still(lead)) return null;
      const at = now();
      return changeLeadOwner(lead, agent, at, {
        event: how.event,
        detail: typeof how.detail === "string" ? how.detail : how.detail(lead),
        also: how.routed ? { routedAt: lead.routedAt ?? at.toISOString() } : {},
      });
    }, { onCommit: (op) => op.set(roundRobinKey(), agent.id) });
  } catch (error) {
    if (error instanceof LeadNotFoundError) return null;
    throw error;
  }
}
