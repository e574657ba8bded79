// Start-up accounts: the admin from the environment, a demo admin, or a refusal to start with none.

import { generatePassword } from "./password.ts";
import { countUsers, createUser, ensureAdmin, type EnsureAdminResult } from "./users.ts";

/** Email of the admin created in demo mode when no user exists. */
export const DEMO_ADMIN_EMAIL = "admin@leadline.local";

/** What start-up needs from the configuration. */
export interface BootstrapConfig {
  /** From `LEADLINE_ADMIN_EMAIL` and `LEADLINE_ADMIN_PASSWORD`, or null. */
  admin: { email: string; password: string } | null;
  /** True in demo mode (no Meta credentials). */
  demo: boolean;
}

/** What start-up did about accounts. */
export type BootstrapOutcome =
  | { kind: "admin_from_env"; email: string; action: EnsureAdminResult["action"] }
  /** `password` must be shown to the operator exactly once and never stored or logged again. */
  | { kind: "demo_admin_created"; email: string; password: string }
  | { kind: "users_exist"; count: number };

/** No one could sign in, so the server must not start; the message tells the operator what to do. */
export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BootstrapError";
  }
}

/**
 * Makes sure someone can sign in. With `admin` set, creates or updates that admin. Otherwise,
 * when no user exists: in demo mode creates {@linkcode DEMO_ADMIN_EMAIL} with a random
 * password (returned, to print once); outside demo mode throws {@linkcode BootstrapError}.
 */
export async function bootstrapAccounts(
  kv: Deno.Kv,
  config: BootstrapConfig,
  options: { iterations?: number } = {},
): Promise<BootstrapOutcome> {
  if (config.admin) {
    const { user, action } = await ensureAdmin(
      kv,
      config.admin.email,
      config.admin.password,
      undefined,
      options,
    );
    return { kind: "admin_from_env", email: user.email, action };
  }
  const count = await countUsers(kv);
  if (count > 0) return { kind: "users_exist", count };
  if (!config.demo) {
    throw new BootstrapError(
      "no user account exists, so nobody could sign in. Either set LEADLINE_ADMIN_EMAIL and " +
        "LEADLINE_ADMIN_PASSWORD (at least 10 characters) to create an admin at start-up, or " +
        'run `deno task user:add --email you@example.com --name "Your Name" --role admin` ' +
        "while the server is stopped.",
    );
  }
  const password = generatePassword();
  const user = await createUser(
    kv,
    { email: DEMO_ADMIN_EMAIL, name: "Demo admin", role: "admin", password },
    options,
  );
  return { kind: "demo_admin_created", email: user.email, password };
}
