import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";
import { browserTest } from "../_helpers/browser.ts";

browserTest("[e2e] sign in through the form, see the dashboard, sign out", async (browser) => {
  const server = await startTestServer();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    const cspViolations: string[] = [];
    page.on("console", (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });

    await page.goto(server.url + "/");
    assert.equal(new URL(page.url()).pathname, "/login", "anonymous visitors land on /login");

    await page.fill('input[name="email"]', server.user.email);
    await page.fill('input[name="password"]', "not the password");
    await page.click('button[type="submit"]');
    await page.locator(".form-error").waitFor();
    assert.equal(await page.locator(".form-error").textContent(), "Wrong email or password.");

    await page.fill('input[name="password"]', server.user.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(server.url + "/");
    await page.locator("h1", { hasText: "Leads" }).waitFor();
    assert.match(await page.locator(".account").textContent() ?? "", /Signed in as Test Admin/);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "leadline_session");
    assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
    assert.equal(session?.sameSite, "Lax");
    assert.equal(
      await page.evaluate(() => document.cookie.includes("leadline_session")),
      false,
      "scripts cannot read it",
    );
    // The island hydrates under the CSP: only our own scripts run, and they do.
    await page.locator('[data-connection="live"]').waitFor({ timeout: 10_000 });

    await page.click("text=Sign out");
    await page.waitForURL(/\/login$/);
    await page.goto(server.url + "/");
    assert.equal(new URL(page.url()).pathname, "/login", "signed out for good");
    assert.deepEqual(errors, []);
    assert.deepEqual(cspViolations, []);
  } finally {
    await server.close();
  }
});
