// Browser tests: Debian's Chromium driven by playwright-core, ignored (with a hint) when absent.

import { type Browser, chromium, type Page } from "playwright-core";
import { SESSION_COOKIE } from "../../lib/auth_web/cookies.ts";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** Flags that work on our machines (closed network, root, no GPU). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The Chromium executable to use: `CHROME_PATH`, or a Debian install; null when none exists. */
export function findChromium(): string | null {
  const fromEnv = Deno.env.get("CHROME_PATH");
  for (const path of fromEnv ? [fromEnv] : CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

const chromiumPath = findChromium();
const inCi = Deno.env.get("CI") === "true";
let warned = false;

/**
 * Registers a browser test. Without Chromium it is ignored with an install hint, except under
 * CI=true, where a missing browser fails the run.
 */
export function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
  if (!chromiumPath && !inCi && !warned) {
    warned = true;
    console.warn(
      "Browser tests ignored: no Chromium found. Install it (sudo apt-get install chromium) " +
        "or set CHROME_PATH.",
    );
  }
  Deno.test({
    name,
    ignore: !chromiumPath && !inCi,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      if (!chromiumPath) {
        throw new Error(
          "CI=true but no Chromium found: install Debian's chromium or set CHROME_PATH",
        );
      }
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: CHROMIUM_ARGS,
        headless: true,
      });
      try {
        await fn(browser);
      } finally {
        await browser.close();
      }
    },
  });
}

/**
 * Signs `page` in as the server's test user by giving its browser context the session cookie
 * (tests/browser/login_test.ts covers signing in through the form).
 */
export async function signIn(
  page: Page,
  server: { url: string; user: { sessionId: string } },
): Promise<void> {
  await page.context().addCookies([{
    name: SESSION_COOKIE,
    value: server.user.sessionId,
    url: server.url,
    httpOnly: true,
    sameSite: "Lax",
  }]);
}
