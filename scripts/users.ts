// Team accounts from the terminal: add, list, change password, remove. Opens the KV file
// directly, so it refuses to change anything while the server runs (use the Team page then).

import { KvOpenError, openKv } from "../lib/kv_open.ts";
import { DEFAULT_KV_PATH, loadConfig } from "../lib/config.ts";
import { validateRole } from "../lib/auth/model.ts";
import {
  createUser,
  getUserByEmail,
  listUsers,
  removeUser,
  setPassword,
} from "../lib/auth/users.ts";
import { findRunningServer } from "../lib/server_lock.ts";

const USAGE = `Usage:
  deno task user:add --email you@example.com --name "Your Name" [--role admin|agent]
  deno task user:list
  deno task user:passwd --email you@example.com
  deno task user:remove --email you@example.com

The password is read from the terminal without echo, or from the first line of stdin when piped:
  printf '%s\\n' "$PASSWORD" | deno task user:add --email a@example.com --name A --role agent

These commands open the KV file (KV_PATH) directly. While the server runs they refuse to change
it (user:list still works); stop the server first, or use the Team page.`;

/** A mistake in how the command was called; printed with the usage, exit code 2. */
class UsageError extends Error {}

/** The user gave up at a prompt (Ctrl-C, Ctrl-D). */
class CancelledError extends Error {}

type Flags = Record<string, string>;

function parseFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new UsageError(`Unexpected argument "${arg}"`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    flags[match[1]] = value;
  }
  return flags;
}

/** A flag's value, or a prompt for it on a terminal; an error when piped. */
function required(flags: Flags, name: string): string {
  const given = flags[name];
  if (given !== undefined && given.trim() !== "") return given;
  if (!Deno.stdin.isTerminal()) throw new UsageError(`--${name} is required`);
  const answer = prompt(`${name[0].toUpperCase()}${name.slice(1)}:`);
  if (answer === null || answer.trim() === "") throw new CancelledError("Cancelled");
  return answer;
}

/**
 * Reads a password: on a terminal in raw mode without echo (asked twice when `confirm`),
 * otherwise the first line of stdin.
 */
async function readPassword(label: string, confirm: boolean): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    const text = await new Response(Deno.stdin.readable).text();
    const line = text.split(/\r?\n/)[0];
    if (line === "") throw new UsageError("No password on stdin: pipe it as the first line");
    return line;
  }
  const first = await readHidden(`${label}: `);
  if (confirm && await readHidden("Again: ") !== first) {
    throw new UsageError("The two passwords differ; nothing was changed");
  }
  return first;
}

async function readHidden(label: string): Promise<string> {
  const encoder = new TextEncoder();
  await Deno.stderr.write(encoder.encode(label));
  const bytes: number[] = [];
  const buffer = new Uint8Array(64);
  Deno.stdin.setRaw(true);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buffer);
      if (n === null) throw new CancelledError("Cancelled");
      for (const byte of buffer.subarray(0, n)) {
        if (byte === 3 || (byte === 4 && bytes.length === 0)) throw new CancelledError("Cancelled");
        if (byte === 13 || byte === 10) return new TextDecoder().decode(new Uint8Array(bytes));
        if (byte === 127 || byte === 8) {
          // Drop one whole character: continuation bytes of UTF-8 are 10xxxxxx.
          while (bytes.length > 0 && (bytes.pop()! & 0xc0) === 0x80);
          continue;
        }
        bytes.push(byte);
      }
    }
  } finally {
    Deno.stdin.setRaw(false);
    await Deno.stderr.write(encoder.encode("\n"));
  }
}

async function refuseIfServerRuns(kv: Deno.Kv, kvPath: string | null): Promise<void> {
  const running = await findRunningServer(kv);
  if (running) {
    throw new Error(
      `the Leadline server (pid ${running.pid}, ${running.url}) is running on ${
        kvPath ?? "the managed KV"
      }. ` +
        `Stop it first, or manage the team on its Team page (${running.url}team).`,
    );
  }
}

async function run(command: string | undefined, args: string[]): Promise<string> {
  if (!command || !["add", "list", "passwd", "remove"].includes(command)) {
    throw new UsageError(command ? `Unknown command "${command}"` : "No command given");
  }
  const flags = parseFlags(args);
  const config = loadConfig();
  let kv: Deno.Kv;
  try {
    kv = await openKv(config.kvPath, {
      createFolder: config.kvPath === DEFAULT_KV_PATH,
      // Listing only reads, so it works on a file this user may not write.
      checkWrite: command !== "list",
    });
  } catch (err) {
    if (err instanceof KvOpenError) throw new Error(`KV_PATH: ${err.message}`);
    throw err;
  }
  try {
    if (command === "list") {
      const users = await listUsers(kv);
      if (users.length === 0) return "No users yet. Add one with deno task user:add.";
      return users.map((u) =>
        [
          u.email.padEnd(32),
          u.name.padEnd(24),
          u.role.padEnd(6),
          (u.disabled ? "disabled" : "active").padEnd(9),
          u.lastLoginAt ? `last sign-in ${u.lastLoginAt}` : "never signed in",
        ].join(" ")
      ).join("\n");
    }
    await refuseIfServerRuns(kv, config.kvPath);
    const email = required(flags, "email");
    if (command === "add") {
      const name = required(flags, "name");
      const role = validateRole(flags.role ?? "agent");
      const password = await readPassword("Password", true);
      const user = await createUser(kv, { email, name, role, password });
      return `Added ${user.email} (${user.role}).`;
    }
    const user = await getUserByEmail(kv, email);
    if (!user) throw new Error(`no user has the email ${email}`);
    if (command === "passwd") {
      const password = await readPassword("New password", true);
      await setPassword(kv, user.id, password);
      return `Changed the password of ${user.email}; their sessions have ended.`;
    }
    await removeUser(kv, user.id);
    return `Removed ${user.email}.`;
  } finally {
    kv.close();
  }
}

if (import.meta.main) {
  const [command, ...args] = Deno.args;
  try {
    console.log(await run(command, args));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      Deno.exit(2);
    }
    if (err instanceof CancelledError) {
      console.error("Cancelled; nothing was changed.");
      Deno.exit(130);
    }
    // Config, auth and lock errors all say what and why; no stack is needed.
    if (err instanceof Error) {
      const message = err.message.startsWith("Cannot ")
        ? err.message
        : `Cannot ${command ?? "run"}: ${err.message}`;
      console.error(message);
      Deno.exit(1);
    }
    throw err;
  }
}
