import assert from "node:assert/strict";
import { createTestApp } from "../_helpers/app.ts";

Deno.test("[health] GET /health is 200 ok while KV answers", async () => {
  const { app, close } = await createTestApp();
  try {
    const res = await app.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    const body = await res.json();
    assert.equal(body.status, "ok");
    assert.equal(body.kv, "ok");
  } finally {
    await close();
  }
});

Deno.test("[health] GET /health is 503 when KV does not answer", async () => {
  const kv = await Deno.openKv(":memory:");
  const { app, close } = await createTestApp({ kv });
  try {
    kv.close();
    const res = await app.fetch(new Request("http://localhost/health"));
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.equal(body.kv, "error");
  } finally {
    await close();
  }
});
