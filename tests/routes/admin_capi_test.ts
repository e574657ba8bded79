// The Conversions API's admin API (/api/admin/capi) through the app: whether it is on, the stage
// map (checked field by field; an empty name unmaps a stage), admins only.

import assert from "node:assert/strict";
import { startTestServer } from "../_helpers/app.ts";

const DATASET = "1234567890123456";

Deno.test("[capi] admins map stages: an unknown stage is refused by name, an empty name unmaps one", async () => {
  const server = await startTestServer({ env: { META_DATASET_ID: DATASET } });
  try {
    const put = (body: unknown) =>
      server.fetch("/api/admin/capi", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const first = await (await server.fetch("/api/admin/capi")).json();
    assert.equal(first.enabled, true);
    assert.equal(first.datasetId, DATASET);
    assert.deepEqual(first.settings, { stages: { qualified: "Qualified Lead", won: "Converted" } });
    assert.deepEqual(first.reports, []);

    const bad = await put({ stages: { hot: "Hot" } });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).fields["stages.hot"], /\.$/, "a whole sentence");
    const notAnObject = await put({ stages: ["qualified"] });
    assert.equal(notAnObject.status, 400);
    assert.match((await notAnObject.json()).fields.stages, /\.$/);

    const saved = await put({ stages: { contacted: "Marketing Qualified Lead", won: "" } });
    assert.equal(saved.status, 200);
    assert.deepEqual((await saved.json()).settings, {
      stages: { contacted: "Marketing Qualified Lead" },
    });
    assert.deepEqual((await (await server.fetch("/api/admin/capi")).json()).settings, {
      stages: { contacted: "Marketing Qualified Lead" },
    });

    const agent = await server.addUser("agent");
    for (const method of ["GET", "PUT"]) {
      const denied = await fetch(`${server.url}/api/admin/capi`, {
        method,
        headers: { cookie: agent.cookie, origin: server.url, "content-type": "application/json" },
        body: method === "PUT" ? JSON.stringify({ stages: {} }) : undefined,
      });
      assert.equal(denied.status, 403, method);
      await denied.body?.cancel();
    }
  } finally {
    await server.close();
  }
});
