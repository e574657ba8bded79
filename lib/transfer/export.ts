// Writes the store's leads (with timeline and activities), users and settings as JSON Lines.

import { usersPrefix } from "../auth/keys.ts";
import type { User } from "../auth/model.ts";
import type { LeadActivity } from "../leads/activities.ts";
import { leadActivitiesPrefix, LEADS_PREFIX, leadTimelinePrefix } from "../leads/keys.ts";
import type { Lead, LeadTimelineEvent } from "../leads/model.ts";
import {
  EXPORT_VERSION,
  type ExportLine,
  type LeadLine,
  SECRET_SETTING_PREFIXES,
  SETTING_PREFIXES,
} from "./records.ts";

/** Options of `exportStore`. */
export interface ExportOptions {
  /** Include password hashes and outbound webhooks (with their signing secrets). Default false. */
  withSecrets?: boolean;
  /** Clock for the header (default the real one). */
  now?: () => Date;
}

/** How many of each kind `exportStore` wrote. */
export interface ExportCounts {
  leads: number;
  users: number;
  settings: number;
}

/**
 * Writes every lead, user and setting of `kv` to `write`, one JSON line (ending in "\n") per
 * call: a header first, then the settings, the users (without password hashes unless
 * `withSecrets`) and the leads, oldest first, each with its timeline records and activities.
 * Reads one lead at a time, so the store's size does not matter.
 */
export async function exportStore(
  kv: Deno.Kv,
  write: (line: string) => Promise<void>,
  options: ExportOptions = {},
): Promise<ExportCounts> {
  const withSecrets = options.withSecrets ?? false;
  const emit = (line: ExportLine) => write(JSON.stringify(line) + "\n");
  await emit({
    type: "leadline_export",
    version: EXPORT_VERSION,
    exportedAt: (options.now ?? (() => new Date()))().toISOString(),
    withSecrets,
  });
  const counts: ExportCounts = { leads: 0, users: 0, settings: 0 };
  const prefixes = [...SETTING_PREFIXES, ...(withSecrets ? SECRET_SETTING_PREFIXES : [])];
  for (const prefix of prefixes) {
    for await (const entry of kv.list({ prefix })) {
      await emit({ type: "setting", key: entry.key, value: entry.value });
      counts.settings++;
    }
    // A setting whose key is the prefix itself (e.g. the team's settings).
    const own = await kv.get(prefix);
    if (own.versionstamp !== null) {
      await emit({ type: "setting", key: own.key, value: own.value });
      counts.settings++;
    }
  }
  for await (const entry of kv.list<User>({ prefix: usersPrefix() })) {
    const { passwordHash, ...user } = entry.value;
    await emit({ type: "user", user: withSecrets ? { ...user, passwordHash } : user });
    counts.users++;
  }
  for await (const entry of kv.list<Lead>({ prefix: LEADS_PREFIX })) {
    const { indexed: _indexed, ...lead } = entry.value;
    const line: LeadLine = { type: "lead", lead, timeline: [], activities: [] };
    for await (const event of kv.list<LeadTimelineEvent>({ prefix: leadTimelinePrefix(lead.id) })) {
      line.timeline.push({ id: event.key[2] as string, ...event.value });
    }
    for await (const activity of kv.list<LeadActivity>({ prefix: leadActivitiesPrefix(lead.id) })) {
      line.activities.push(activity.value);
    }
    await emit(line);
    counts.leads++;
  }
  return counts;
}
