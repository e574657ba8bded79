// `deno task meta:check` against the Graph simulator: healthy, expired token, expiring token,
// unsubscribed page (and --subscribe), missing scope; demo mode through the real script.

import assert from "node:assert/strict";
import { startGraphSimulator } from "../../lib/graph_sim/mod.ts";
import { metaCheckCli } from "../../scripts/meta_check.ts";
import {
  APP_SECRET,
  DAY_MS,
  type HealthFixture,
  healthFixture,
  secondsFromNow,
  TOKEN,
  VERIFY_TOKEN,
} from "../meta_health/_helpers.ts";

const SCRIPT = new URL("../../scripts/meta_check.ts", import.meta.url).pathname;

async function run(fx: HealthFixture, args: string[] = [], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await metaCheckCli(args, {
    env: {
      KV_PATH: ":memory:",
      META_APP_SECRET: APP_SECRET,
      META_VERIFY_TOKEN: VERIFY_TOKEN,
      META_ACCESS_TOKEN: TOKEN,
      META_APP_ID: fx.sim.appId,
      GRAPH_API_BASE: fx.sim.url,
      PUBLIC_URL: fx.webhookUrl.replace(/\/webhook$/, ""),
      ...env,
    },
    out: (text) => out.push(text),
    err: (text) => err.push(text),
  });
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

Deno.test("[meta:check] healthy: a table and exit 0", async () => {
  const fx = await healthFixture();
  try {
    const result = await run(fx);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Tokens\n\s+status\s+token\s+type\s+expires\s+permissions/);
    assert.match(result.stdout, /ok\s+META_ACCESS_TOKEN\s+SYSTEM_USER\s+never\s+6 granted/);
    for (const page of fx.sim.pages) {
      assert.match(result.stdout, new RegExp(`ok\\s+${page.name} \\(${page.id}\\)\\s+leadgen`));
    }
    assert.match(
      result.stdout,
      /ok\s+http:\/\/127\.0\.0\.1:\d+\/webhook\s+answers the verification/,
    );
    assert.match(result.stdout, /All checks passed\./);
    assert.doesNotMatch(result.stdout, new RegExp(`${TOKEN}|${APP_SECRET}|${VERIFY_TOKEN}`));
  } finally {
    await fx.close();
  }
});

Deno.test("[meta:check] an expired token: exit 1 and says when it expired", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ expiresAt: secondsFromNow(-DAY_MS) });
    const result = await run(fx);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /ERROR\s+META_ACCESS_TOKEN\s+SYSTEM_USER\s+\S+ \S+ UTC \(1 day ago\)/,
    );
    assert.match(
      result.stdout,
      /Problems\n\s+ERROR META_ACCESS_TOKEN is not valid \(expired 1 day ago/,
    );
  } finally {
    await fx.close();
  }
});

Deno.test("[meta:check] an expiring token: exit 1 with the countdown", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ expiresAt: secondsFromNow(5 * DAY_MS + 3_600_000) });
    const result = await run(fx);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /WARN\s+META_ACCESS_TOKEN\s+SYSTEM_USER\s+.*\(in 5 days\)/);
    assert.match(result.stdout, /0 errors, 1 warning/);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta:check] an unsubscribed page: exit 1; --subscribe subscribes it and exits 0", async () => {
  const fx = await healthFixture();
  try {
    const page = fx.sim.pages[0];
    fx.sim.unsubscribePage(page.id);
    const result = await run(fx);
    assert.equal(result.code, 1);
    assert.match(result.stdout, new RegExp(`ERROR\\s+${page.name} \\(${page.id}\\)\\s+NO`));
    assert.match(result.stdout, /not subscribed to leadgen webhooks/);

    const fixed = await run(fx, ["--subscribe"]);
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.match(fixed.stdout, /leadgen \(just now\)/);
    assert.ok(
      fx.sim.subscribedApps(page.id).some((app) => app.subscribedFields.includes("leadgen")),
    );
    const again = await run(fx);
    assert.equal(again.code, 0);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta:check] a missing permission: exit 1 and names it", async () => {
  const fx = await healthFixture();
  try {
    fx.sim.setToken({ scopes: ["leads_retrieval", "pages_show_list", "pages_manage_metadata"] });
    const result = await run(fx);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /ERROR\s+META_ACCESS_TOKEN\s+.*lacks pages_read_engagement/);
  } finally {
    await fx.close();
  }
});

Deno.test("[meta:check] --page, --json, no META_APP_ID, and usage errors", async () => {
  const fx = await healthFixture();
  try {
    const page = fx.sim.pages[1];
    const json = await run(fx, ["--json", "--page", page.id]);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.pages.map((item: { pageId: string }) => item.pageId), [page.id]);

    const noAppId = await run(fx, [], { META_APP_ID: "" });
    assert.equal(noAppId.code, 0, "nothing is wrong, some things are unknown");
    assert.match(noAppId.stdout, /skipped\s+META_ACCESS_TOKEN\s+\?\s+unknown\s+unknown/);
    assert.match(noAppId.stdout, /META_APP_ID is not set/);

    const bad = await run(fx, ["--page", "abc"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--page needs a numeric page id/);
    const badConfig = await run(fx, [], { META_APP_ID: "x1" });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.stderr, /META_APP_ID: expected a numeric id/);
  } finally {
    await fx.close();
  }
});

/** Runs the real script in a clean environment. */
async function script(env: Record<string, string>, args: string[] = []) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("[meta:check] demo mode checks the demo server's simulator, and says when none runs", async () => {
  const sim = await startGraphSimulator({
    appSecret: "demo-secret",
    accessToken: "demo-token",
    verifyToken: "demo-verify",
    seed: 4,
  });
  const webhook = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const url = new URL(request.url);
    return url.searchParams.get("hub.verify_token") === "demo-verify"
      ? new Response(url.searchParams.get("hub.challenge"))
      : new Response("no", { status: 403 });
  });
  try {
    const simPort = new URL(sim.url).port;
    const result = await script({
      KV_PATH: ":memory:",
      GRAPH_SIMULATOR_PORT: simPort,
      PORT: String(webhook.addr.port),
    });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Demo mode: no META_\* variables are set/);
    assert.match(result.stdout, /ok\s+demo token\s+SYSTEM_USER\s+never/);
    assert.match(result.stdout, /All checks passed/);
    assert.doesNotMatch(result.stdout, /demo-secret|demo-token|demo-verify/);

    sim.unsubscribePage(sim.pages[0].id);
    const broken = await script({
      KV_PATH: ":memory:",
      GRAPH_SIMULATOR_PORT: simPort,
      PORT: String(webhook.addr.port),
    });
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /NO/);
  } finally {
    await webhook.shutdown();
    await sim.close();
  }
  const none = await script({ KV_PATH: ":memory:", GRAPH_SIMULATOR_PORT: "9" });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no Meta credentials are set .* no demo server's simulator answers/s);
});
