import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

Deno.test("[config] defaults: 127.0.0.1:8000, demo mode, v25.0, 1 MiB webhook limit", () => {
  const config = loadConfig({});
  assert.equal(config.port, 8000);
  assert.equal(config.hostname, "127.0.0.1");
  assert.equal(config.meta, null);
  assert.equal(config.graphApiVersion, "v25.0");
  assert.equal(config.graphApiBase, "https://graph.facebook.com");
  assert.equal(config.webhookBodyLimit, 1024 * 1024);
  assert.match(config.kvPath!, /data\/leadline\.kv$/);
});

Deno.test("[config] on Deno Deploy the managed KV is the default; KV_PATH still wins", () => {
  assert.equal(loadConfig({ DENO_DEPLOYMENT_ID: "abc123" }).kvPath, null);
  assert.equal(
    loadConfig({ DENO_DEPLOYMENT_ID: "abc123", KV_PATH: ":memory:" }).kvPath,
    ":memory:",
  );
});

Deno.test("[config] a wrong value names its variable", () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ GRAPH_API_BASE: "ftp://x" }, "GRAPH_API_BASE"],
    [{ GRAPH_API_VERSION: "25" }, "GRAPH_API_VERSION"],
  ];
  for (const [env, variable] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.variable, variable);
      assert.ok(err.message.startsWith(variable));
      return true;
    });
  }
});

Deno.test("[config] Meta credentials: all or nothing, named when missing", () => {
  assert.throws(() => loadConfig({ META_APP_SECRET: "s" }), /META_VERIFY_TOKEN/);
  assert.throws(
    () => loadConfig({ META_APP_SECRET: "s", META_VERIFY_TOKEN: "v" }),
    /META_ACCESS_TOKEN/,
  );
  const live = loadConfig({
    META_APP_SECRET: "s",
    META_VERIFY_TOKEN: "v",
    META_PAGE_TOKENS: '{"123456789012345": "page-token"}',
  });
  assert.deepEqual(live.meta?.pageTokens, { "123456789012345": "page-token" });
  assert.throws(
    () => loadConfig({ META_APP_SECRET: "s", META_VERIFY_TOKEN: "v", META_PAGE_TOKENS: "[1]" }),
    /META_PAGE_TOKENS/,
  );
  assert.throws(
    () =>
      loadConfig({
        META_APP_SECRET: "s",
        META_VERIFY_TOKEN: "v",
        META_PAGE_TOKENS: '{"abc": "t"}',
      }),
    /not a numeric page id/,
  );
});

Deno.test("[config] METRICS_TOKEN: at least 16 visible characters, never echoed; readiness job delay", () => {
  assert.equal(loadConfig({}).metricsToken, null);
  assert.equal(loadConfig({}).readyMaxJobDelayMs, 300_000);
  const token = "s3cret-metrics-token-0123";
  assert.equal(loadConfig({ METRICS_TOKEN: token }).metricsToken, token);
  assert.equal(loadConfig({ READY_MAX_JOB_DELAY_SECONDS: "0" }).readyMaxJobDelayMs, 0);
  for (const bad of ["short-token", "sixteen chars!! x"]) {
    assert.throws(() => loadConfig({ METRICS_TOKEN: bad }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.variable, "METRICS_TOKEN");
      assert.ok(!err.message.includes(bad), "the token is not in the message");
      return true;
    });
  }
  assert.throws(
    () => loadConfig({ READY_MAX_JOB_DELAY_SECONDS: "soon" }),
    /READY_MAX_JOB_DELAY_SECONDS/,
  );
});

Deno.test("[config] retention: leads kept by default, raw deliveries 30 days; bad values name their variable", () => {
  assert.deepEqual(loadConfig({}).retention, { leadDays: null, deliveryDays: 30 });
  assert.deepEqual(
    loadConfig({ LEAD_RETENTION_DAYS: "365", DELIVERY_RETENTION_DAYS: "7" }).retention,
    { leadDays: 365, deliveryDays: 7 },
  );
  for (
    const [env, variable] of [
      [{ LEAD_RETENTION_DAYS: "0" }, "LEAD_RETENTION_DAYS"],
      [{ LEAD_RETENTION_DAYS: "a year" }, "LEAD_RETENTION_DAYS"],
      [{ DELIVERY_RETENTION_DAYS: "0" }, "DELIVERY_RETENTION_DAYS"],
      [{ DELIVERY_RETENTION_DAYS: "-1" }, "DELIVERY_RETENTION_DAYS"],
    ] as const
  ) {
    assert.throws(() => loadConfig(env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.variable, variable);
      return true;
    });
  }
});
