// The dashboard's page alerts: set, kept since their first time, cleared per alert and per page.
import assert from "node:assert/strict";
import { createAlertStore } from "../../lib/alerts.ts";

Deno.test("[alerts] set keeps the first time, clear and clearPageAlerts remove", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    let now = new Date("2026-01-01T00:00:00Z");
    const alerts = createAlertStore(kv, { now: () => now });
    await alerts.setAlert({ kind: "token_expired", pageId: "1", message: "first" });
    now = new Date("2026-01-01T01:00:00Z");
    const again = await alerts.setAlert({ kind: "token_expired", pageId: "1", message: "second" });
    assert.equal(again.since, "2026-01-01T00:00:00.000Z");
    assert.equal(again.message, "second");
    await alerts.setAlert({ kind: "permission_denied", pageId: "1", message: "perm" });
    await alerts.setAlert({ kind: "token_expired", pageId: "2", message: "other page" });
    const listed = await alerts.listAlerts();
    assert.equal(listed.length, 3);
    // Each comes with its banner's heading: the dashboard's script carries no copy of them.
    assert.deepEqual(
      listed.map((a) => [a.kind, a.title]).sort(),
      [
        ["permission_denied", "Permission missing"],
        ["token_expired", "Token expired"],
        ["token_expired", "Token expired"],
      ],
    );
    assert.equal(await alerts.clearPageAlerts("1"), 2);
    assert.deepEqual((await alerts.listAlerts()).map((a) => a.pageId), ["2"]);
    assert.equal(await alerts.clearAlert("token_expired", "2"), true);
    assert.equal(await alerts.clearAlert("token_expired", "2"), false);
    assert.deepEqual(await alerts.listAlerts(), []);
  } finally {
    kv.close();
  }
});
