// Reads an export (JSON Lines) back into a store: idempotent, through the store's own writes.

import { restoreUser } from "../auth/users.ts";
import { isUlid } from "../ids.ts";
import { commitAtomic } from "../kv_commit.ts";
import { handledCursorOf } from "../lead_events/feed.ts";
import { leadEventCursorKey } from "../lead_events/keys.ts";
import type { LeadActivity } from "../leads/activities.ts";
import { leadActivityKey, leadKey, leadTimelineKey } from "../leads/keys.ts";
import type { Lead } from "../leads/model.ts";
import type { LeadStore } from "../leads/store.ts";
import {
  EXPORT_VERSION,
  type ExportLine,
  keyUnder,
  type LeadLine,
  SECRET_SETTING_PREFIXES,
  SETTING_PREFIXES,
} from "./records.ts";

/** A line of the file is not what an export writes; nothing was imported. */
export class ImportFormatError extends Error {
  /** 1-based line number. */
  readonly line: number;

  /** Makes the error for `line`, saying what is wrong with it. */
  constructor(line: number, reason: string) {
    super(`Cannot import: line ${line}: ${reason}`);
    this.line = line;
  }
}

/** What an import did, per kind: written anew, or kept as the store already had it. */
export interface ImportCounts {
  leads: { created: number; kept: number };
  users: { created: number; kept: number };
  settings: { created: number; kept: number };
  /** Timeline and activity records written (missing ones only). */
  records: number;
}

/** Timeline and activity records per commit (each at most a few KiB: far under KV's limits). */
const RECORDS_PER_COMMIT = 50;

/**
 * Checks every line of `text` (an export) and returns them, or throws ImportFormatError naming
 * the first bad line: not JSON, not an object, an unknown `type`, a lead without a ULID id or a
 * date, a user without an id or email, a setting Leadline does not export. Blank lines are
 * skipped. The first line must be the header, of a version this code reads.
 */
export function parseExport(text: string): { line: number; record: ExportLine }[] {
  const out: { line: number; record: ExportLine }[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ImportFormatError(line, `not JSON (${(error as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ImportFormatError(line, "not a JSON object");
    }
    const record = value as Record<string, unknown>;
    if (out.length === 0 && record.type !== "leadline_export") {
      throw new ImportFormatError(line, 'the first line must be the header ("leadline_export")');
    }
    switch (record.type) {
      case "leadline_export":
        if (out.length > 0) throw new ImportFormatError(line, "a second header");
        if (typeof record.version !== "number" || record.version > EXPORT_VERSION) {
          throw new ImportFormatError(
            line,
            `version ${record.version} is not one this Leadline reads (${EXPORT_VERSION})`,
          );
        }
        break;
      case "lead":
        checkLeadLine(line, record);
        break;
      case "user": {
        const user = record.user as Record<string, unknown> | undefined;
        if (!user || typeof user.id !== "string" || !isUlid(user.id)) {
          throw new ImportFormatError(line, "a user needs an id (a ULID)");
        }
        if (typeof user.email !== "string" || typeof user.name !== "string") {
          throw new ImportFormatError(line, "a user needs an email and a name");
        }
        break;
      }
      case "setting": {
        const key = record.key;
        const known = [...SETTING_PREFIXES, ...SECRET_SETTING_PREFIXES];
        if (!Array.isArray(key) || !known.some((prefix) => keyUnder(key, prefix))) {
          throw new ImportFormatError(
            line,
            `the setting ${JSON.stringify(key)} is not one Leadline exports`,
          );
        }
        if (!("value" in record)) throw new ImportFormatError(line, "a setting needs a value");
        break;
      }
      default:
        throw new ImportFormatError(
          line,
          `unknown type ${JSON.stringify(record.type)} (expected lead, user or setting)`,
        );
    }
    out.push({ line, record: record as unknown as ExportLine });
  });
  if (out.length === 0) throw new ImportFormatError(1, "the file is empty");
  return out;
}

function checkLeadLine(line: number, record: Record<string, unknown>) {
  const lead = record.lead as Record<string, unknown> | undefined;
  if (!lead || typeof lead !== "object") {
    throw new ImportFormatError(line, "a lead line needs `lead`");
  }
  if (typeof lead.id !== "string" || !isUlid(lead.id)) {
    throw new ImportFormatError(line, "the lead's id must be a ULID");
  }
  if (typeof lead.createdTime !== "string" || isNaN(Date.parse(lead.createdTime))) {
    throw new ImportFormatError(line, "the lead's createdTime must be an ISO 8601 time");
  }
  if (!Array.isArray(lead.answers) || !Array.isArray(lead.timeline)) {
    throw new ImportFormatError(line, "the lead needs `answers` and `timeline` arrays");
  }
  if (!Array.isArray(record.timeline) || !Array.isArray(record.activities)) {
    throw new ImportFormatError(line, "a lead line needs `timeline` and `activities` arrays");
  }
  for (const event of record.timeline as Record<string, unknown>[]) {
    if (typeof event?.id !== "string" || !isUlid(event.id) || typeof event.at !== "string") {
      throw new ImportFormatError(line, "each timeline record needs an id (a ULID) and `at`");
    }
  }
  for (const activity of record.activities as Record<string, unknown>[]) {
    if (
      typeof activity?.id !== "string" || !isUlid(activity.id) || activity.leadId !== lead.id
    ) {
      throw new ImportFormatError(line, "each activity needs an id (a ULID) and the lead's id");
    }
  }
}

/**
 * Imports an export into `kv` (empty or not), after checking every line (parseExport: a bad line
 * fails the whole import before anything is written). What the store already has wins, so a
 * second import of the same file changes nothing: a lead whose id (or Meta leadgen id) is stored
 * is kept as stored (only timeline and activity records of it that are missing are added: what an
 * interrupted import left out); a user whose id or email exists is kept; a setting already set is
 * kept. New leads go through the store's insert, which writes their index keys, the statistics
 * and a change (open dashboards show them); their history is marked as handled for the lead
 * event consumers, so nobody is notified of it again.
 */
export async function importStore(
  kv: Deno.Kv,
  store: LeadStore,
  text: string,
): Promise<ImportCounts> {
  const lines = parseExport(text);
  const counts: ImportCounts = {
    leads: { created: 0, kept: 0 },
    users: { created: 0, kept: 0 },
    settings: { created: 0, kept: 0 },
    records: 0,
  };
  for (const { record } of lines) {
    if (record.type === "setting") {
      const res = await commitAtomic(
        kv.atomic().check({ key: record.key, versionstamp: null }).set(record.key, record.value),
      );
      counts.settings[res.ok ? "created" : "kept"]++;
    } else if (record.type === "user") {
      const outcome = await restoreUser(kv, { passwordHash: "", ...record.user });
      counts.users[outcome]++;
    }
  }
  for (const { record } of lines) {
    if (record.type !== "lead") continue;
    const created = await importLead(store, record);
    counts.leads[created ? "created" : "kept"]++;
    counts.records += await addMissingRecords(kv, record);
  }
  return counts;
}

/** Inserts the lead through the store unless it (or its leadgen id) is stored; true when new. */
async function importLead(store: LeadStore, line: LeadLine): Promise<boolean> {
  if ((await store.getLead(line.lead.id)) !== null) return false;
  const { indexed: _indexed, ...lead } = line.lead as Lead;
  const result = await store.insertLeads([lead]);
  if (result.failed.length > 0) throw result.failed[0].error;
  return result.inserted.length === 1;
}

/** Writes the lead's timeline and activity records that are missing; returns how many. */
async function addMissingRecords(kv: Deno.Kv, line: LeadLine): Promise<number> {
  const id = line.lead.id;
  // A lead the store kept under another id (same leadgen id) or did not take: nothing to add to.
  if ((await kv.get(leadKey(id))).versionstamp === null) return 0;
  const writes: { key: Deno.KvKey; value: unknown }[] = [
    ...line.timeline.map(({ id: eventId, ...event }) => ({
      key: leadTimelineKey(id, eventId),
      value: event,
    })),
    ...line.activities.map((activity: LeadActivity) => ({
      key: leadActivityKey(id, activity.id),
      value: activity,
    })),
  ];
  let written = 0;
  for (let i = 0; i < writes.length; i += RECORDS_PER_COMMIT) {
    const chunk = writes.slice(i, i + RECORDS_PER_COMMIT);
    const present = new Set<number>();
    for (let j = 0; j < chunk.length; j += 10) {
      const entries = await kv.getMany(chunk.slice(j, j + 10).map((w) => w.key));
      entries.forEach((entry, k) => entry.versionstamp !== null && present.add(j + k));
    }
    const op = kv.atomic();
    chunk.forEach((w, j) => {
      if (!present.has(j)) {
        op.set(w.key, w.value);
        written++;
      }
    });
    if (present.size < chunk.length) await commitAtomic(op);
  }
  const cursor = handledCursorOf(line.timeline.map((event) => event.id));
  if (cursor && written > 0) {
    // Only where the feed has not been yet: a cursor it wrote knows better.
    await commitAtomic(
      kv.atomic().check({ key: leadEventCursorKey(id), versionstamp: null })
        .set(leadEventCursorKey(id), cursor),
    );
  }
  return written;
}
