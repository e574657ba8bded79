// `deno task import <file>`: reads an export (JSON Lines) back into the store at KV_PATH,
// idempotently: what the store already has is kept, so importing a file twice changes nothing.

import { DEFAULT_KV_PATH, loadConfig } from "../lib/config.ts";
import { KvOpenError, openKv } from "../lib/kv_open.ts";
import { createLeadStore } from "../lib/leads/store.ts";
import { findRunningServer } from "../lib/server_lock.ts";
import { importStore } from "../lib/transfer/import.ts";

const USAGE = `Usage:
  deno task import <file>

Reads a file written by deno task export into the store at KV_PATH (empty or not). Every line is
checked first: a malformed one stops the import, naming its line, before anything is written.
Leads, users and settings the store already has (same id, email or Meta leadgen id) are kept as
they are, so importing the same file again changes nothing. Stop the server first.`;

/** A mistake in how the command was called; printed with the usage, exit code 2. */
class UsageError extends Error {}

async function run(args: string[]): Promise<string> {
  if (args.length !== 1 || args[0].startsWith("-")) {
    throw new UsageError(args.length === 0 ? "Name the file to import" : "Name one file");
  }
  const file = args[0];
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    throw new Error(`Cannot import: cannot read ${file}: ${(err as Error).message}`);
  }
  const config = loadConfig();
  let kv: Deno.Kv;
  try {
    kv = await openKv(config.kvPath, { createFolder: config.kvPath === DEFAULT_KV_PATH });
  } catch (err) {
    if (err instanceof KvOpenError) throw new Error(`KV_PATH: ${err.message}`);
    throw err;
  }
  try {
    const running = await findRunningServer(kv);
    if (running) {
      throw new Error(
        `Cannot import: the Leadline server (pid ${running.pid}, ${running.url}) is running on ` +
          `${config.kvPath ?? "the managed KV"}; stop it first (its dashboards would not see ` +
          "the imported leads, and its memory of the store would be out of date)",
      );
    }
    const counts = await importStore(kv, createLeadStore(kv), text);
    return [
      `Imported ${file}:`,
      `  leads     ${counts.leads.created} new, ${counts.leads.kept} kept as stored`,
      `  users     ${counts.users.created} new, ${counts.users.kept} kept as stored`,
      `  settings  ${counts.settings.created} new, ${counts.settings.kept} kept as stored`,
      `  ${counts.records} timeline and activity records written`,
    ].join("\n");
  } finally {
    kv.close();
  }
}

if (import.meta.main) {
  try {
    console.log(await run(Deno.args));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      Deno.exit(2);
    }
    if (err instanceof Error) {
      console.error(
        err.message.startsWith("Cannot ") ? err.message : `Cannot import: ${err.message}`,
      );
      Deno.exit(1);
    }
    throw err;
  }
}
