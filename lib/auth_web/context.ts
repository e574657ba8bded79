// What route handlers need from a request for accounts: client address, https, hashing cost.

import type { Context } from "hono";
import { DEFAULT_ITERATIONS } from "../auth/password.ts";
import type { HonoEnv } from "../web/define.ts";
import { clientAddress, isHttps } from "./request_info.ts";

/**
 * The client's address for rate limits, honouring `TRUST_PROXY` (see `clientAddress`).
 * Needs the app's fetch to pass `Deno.serve`'s handler info through to Hono (main.ts does).
 */
export function requestAddress(c: Context<HonoEnv>): string {
  const trustProxy = c.get("state").services.config.trustProxy;
  return clientAddress(c.req.raw, c.env, trustProxy);
}

/** True when the client used https, honouring `TRUST_PROXY`. */
export function requestIsHttps(c: Context<HonoEnv>): boolean {
  return isHttps(c.req.raw, c.get("state").services.config.trustProxy);
}

/** PBKDF2 iterations for new hashes and the equal-time dummy check; tests lower it. */
export function passwordIterations(services: { passwordIterations?: number }): number {
  return services.passwordIterations ?? DEFAULT_ITERATIONS;
}
