import assert from "node:assert/strict";
import { shortDuration, syncMessage } from "../../islands/dashboard/sync_message.ts";

const CHECKED = "2026-03-01T12:00:00.000Z";

Deno.test("[dashboard] Sync message - a skipped sync says when it last ran and when the next may", () => {
  const message = syncMessage({
    inserted: 0,
    skipped: true,
    skipReason: "recent",
    lastFinishedAt: "2026-03-01T11:59:48.000Z",
    nextAllowedAt: "2026-03-01T12:00:48.000Z",
    checkedAt: CHECKED,
  });
  assert.deepEqual(message, {
    text: "Last synced 12 s ago; next sync possible in 48 s.",
    tone: "info",
  });
  // The last sweep's count is old news: a skipped answer never reports it as found now.
  const old = syncMessage({
    inserted: 3,
    skipped: true,
    skipReason: "recent",
    lastFinishedAt: "2026-03-01T11:59:30.000Z",
    nextAllowedAt: "2026-03-01T12:00:30.000Z",
    checkedAt: CHECKED,
  });
  assert.equal(old.text, "Last synced 30 s ago; next sync possible in 30 s.");
});

Deno.test("[dashboard] Sync message - Up to date only when a sweep ran now and found nothing", () => {
  assert.match(syncMessage({ inserted: 0, skipped: false }).text, /^Up to date/);
  assert.equal(syncMessage({ inserted: 2, skipped: false }).text, "2 new leads from Meta");
  assert.equal(syncMessage({ inserted: 1, skipped: false }).text, "1 new lead from Meta");
  for (const skipReason of ["recent", "paused", "running"] as const) {
    const text = syncMessage({ skipped: true, skipReason, checkedAt: CHECKED }).text;
    assert.doesNotMatch(text, /up to date/i, skipReason);
  }
  assert.equal(
    syncMessage({
      skipped: true,
      skipReason: "paused",
      nextAllowedAt: "2026-03-01T12:03:00.000Z",
      checkedAt: CHECKED,
    }).text,
    "Not synced: Meta asked us to slow down; next sync possible in 3 min.",
  );
  assert.deepEqual(syncMessage({ error: "Meta did not answer" }), {
    text: "Sync failed: Meta did not answer",
    tone: "error",
  });
});

Deno.test("[dashboard] Sync message - short durations", () => {
  assert.equal(shortDuration(0), "1 s");
  assert.equal(shortDuration(12_300), "13 s");
  assert.equal(shortDuration(60_000), "60 s");
  assert.equal(shortDuration(150_000), "3 min");
  assert.equal(shortDuration(2 * 3600_000), "2 h");
});
