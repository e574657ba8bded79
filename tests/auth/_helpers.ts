// Shared fixtures for the lib/auth tests: an in-memory KV and quick user creation.

import { createUser, type NewUser } from "../../lib/auth/users.ts";
import type { PublicUser } from "../../lib/auth/model.ts";

/** PBKDF2 iterations for tests: the real 600,000 is exercised once in password_test.ts. */
export const FAST = { iterations: 1_000 };

/** Runs a test body with a fresh in-memory KV and always closes it. */
export async function withKv(body: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const kv = await Deno.openKv(":memory:");
  try {
    await body(kv);
  } finally {
    kv.close();
  }
}

/** Creates a user with fast hashing; fields default to an agent named after the email. */
export function addUser(kv: Deno.Kv, fields: Partial<NewUser> = {}): Promise<PublicUser> {
  const email = fields.email ?? `agent-${crypto.randomUUID().slice(0, 8)}@example.com`;
  return createUser(kv, {
    email,
    name: fields.name ?? email.split("@")[0],
    role: fields.role ?? "agent",
    password: fields.password ?? "correct horse battery",
  }, FAST);
}
