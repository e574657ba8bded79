// The Meta health settings: META_APP_ID, PUBLIC_URL, META_CHECK_EVERY_MINUTES, validated with the
// variable named.

import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../lib/config.ts";

Deno.test("[config] Meta health settings: defaults, values, and errors that name the variable", () => {
  const defaults = loadConfig({ KV_PATH: ":memory:" });
  assert.deepEqual(defaults.metaHealth, { appId: null, publicUrl: null, everyMinutes: 1 });

  const set = loadConfig({
    KV_PATH: ":memory:",
    META_APP_ID: "123456789012345",
    PUBLIC_URL: "https://leads.example.com/",
    META_CHECK_EVERY_MINUTES: "10",
  });
  assert.deepEqual(set.metaHealth, {
    appId: "123456789012345",
    publicUrl: "https://leads.example.com",
    everyMinutes: 10,
  });

  for (
    const [variable, value] of [
      ["META_APP_ID", "my-app"],
      ["PUBLIC_URL", "leads.example.com"],
      ["PUBLIC_URL", "ftp://leads.example.com"],
      ["META_CHECK_EVERY_MINUTES", "0"],
      ["META_CHECK_EVERY_MINUTES", "60"],
    ]
  ) {
    assert.throws(
      () => loadConfig({ KV_PATH: ":memory:", [variable]: value }),
      (error: ConfigError) => error instanceof ConfigError && error.variable === variable,
      `${variable}=${value}`,
    );
  }
});
