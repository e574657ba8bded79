// The lines of an export file (JSON Lines): one JSON object per line, told apart by `type`.

import type { User } from "../auth/model.ts";
import type { LeadActivity } from "../leads/activities.ts";
import type { Lead, LeadTimelineEvent } from "../leads/model.ts";
import { capiSettingsKey } from "../capi/keys.ts";
import { DESTINATIONS_PREFIX } from "../outbound/keys.ts";
import { SETTINGS_PAGES_PREFIX } from "../reconcile/keys.ts";
import { teamSettingsKey } from "../routing/keys.ts";

/** The format's version, in the first line; an import refuses a file of a later one. */
export const EXPORT_VERSION = 1;

/** The first line: what the file is. */
export interface HeaderLine {
  type: "leadline_export";
  version: number;
  /** ISO 8601. */
  exportedAt: string;
  /** True when password hashes and signing secrets are in it (`--with-secrets`). */
  withSecrets: boolean;
}

/** One lead with its timeline records (each with its id) and its activities. */
export interface LeadLine {
  type: "lead";
  /** The record as stored, without the store's internal index marker. */
  lead: Lead;
  timeline: (LeadTimelineEvent & { id: string })[];
  activities: LeadActivity[];
}

/** One team member; `passwordHash` only in an export made `--with-secrets`. */
export interface UserLine {
  type: "user";
  user: Omit<User, "passwordHash"> & { passwordHash?: string };
}

/** One setting: its KV key (one of SETTING_PREFIXES) and value. */
export interface SettingLine {
  type: "setting";
  key: Deno.KvKey;
  value: unknown;
}

/** Any line of an export. */
export type ExportLine = HeaderLine | LeadLine | UserLine | SettingLine;

/** The settings an export carries: the team's, the pages added by hand, the CRM stages. */
export const SETTING_PREFIXES: readonly Deno.KvKey[] = [
  teamSettingsKey(),
  SETTINGS_PAGES_PREFIX,
  capiSettingsKey(),
];

/** Settings that hold a secret (outbound webhooks' signing secrets): only `--with-secrets`. */
export const SECRET_SETTING_PREFIXES: readonly Deno.KvKey[] = [DESTINATIONS_PREFIX];

/** True when `key` is `prefix` or under it. */
export function keyUnder(key: Deno.KvKey, prefix: Deno.KvKey): boolean {
  return prefix.length <= key.length && prefix.every((part, i) => part === key[i]);
}
