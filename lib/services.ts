// The services one app instance runs with; routes reach them through `ctx.state.services`.

import type { Config } from "../fresh.config.ts";
import type { Logger } from "./log.ts";

/** What the app was built with: configuration, storage and the long-lived core services. */
export interface AppServices {
  config: Config;
  kv: Deno.Kv;
  log: Logger;
  /** When this process started (ms since epoch). */
  startedAt: number;
  /** PBKDF2 iterations for new password hashes; default 600,000. Tests lower it for speed. */
  passwordIterations?: number;
}
