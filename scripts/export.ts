// `deno task export [file] [--with-secrets]`: writes the store's leads (with timeline and
// activities), users and settings to a JSON Lines file, or to stdout when no file is named.

import { DEFAULT_KV_PATH, loadConfig } from "../lib/config.ts";
import { KvOpenError, openKv } from "../lib/kv_open.ts";
import { exportStore } from "../lib/transfer/export.ts";

const USAGE = `Usage:
  deno task export [file] [--with-secrets]

Writes every lead (with its timeline and activities), user and setting of the store at KV_PATH as
JSON Lines: to the file, or to stdout without one. Password hashes and outbound webhooks (with
their signing secrets) are left out unless --with-secrets is given. Works while the server runs.`;

/** A mistake in how the command was called; printed with the usage, exit code 2. */
class UsageError extends Error {}

async function run(args: string[]): Promise<string> {
  let file: string | null = null;
  let withSecrets = false;
  for (const arg of args) {
    if (arg === "--with-secrets") withSecrets = true;
    else if (arg === "--help" || arg === "-h") throw new UsageError("");
    else if (arg.startsWith("-")) throw new UsageError(`Unknown option "${arg}"`);
    else if (file === null) file = arg;
    else throw new UsageError(`Unexpected argument "${arg}": name one file`);
  }
  const config = loadConfig();
  let kv: Deno.Kv;
  try {
    // Reading only: it works on a file this user may not write, and beside a running server.
    kv = await openKv(config.kvPath, {
      createFolder: config.kvPath === DEFAULT_KV_PATH,
      checkWrite: false,
    });
  } catch (err) {
    if (err instanceof KvOpenError) throw new Error(`KV_PATH: ${err.message}`);
    throw err;
  }
  const out = file === null
    ? Deno.stdout
    : await Deno.open(file, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  try {
    const write = async (line: string) => {
      const bytes = encoder.encode(line);
      for (let done = 0; done < bytes.length;) done += await out.write(bytes.subarray(done));
    };
    const counts = await exportStore(kv, write, { withSecrets });
    return `Exported ${counts.leads} leads, ${counts.users} users and ${counts.settings} settings` +
      (file === null ? "." : ` to ${file}.`) +
      (withSecrets ? " The file holds password hashes and secrets: keep it safe." : "");
  } finally {
    if (file !== null) (out as Deno.FsFile).close();
    kv.close();
  }
}

if (import.meta.main) {
  try {
    // The summary goes to stderr: stdout may be the export itself.
    console.error(await run(Deno.args));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message ? `${err.message}\n\n${USAGE}` : USAGE);
      Deno.exit(2);
    }
    if (err instanceof Error) {
      console.error(
        err.message.startsWith("Cannot ") ? err.message : `Cannot export: ${err.message}`,
      );
      Deno.exit(1);
    }
    throw err;
  }
}
