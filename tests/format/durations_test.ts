import assert from "node:assert/strict";
import { relativeTime, waitText } from "../../lib/format/durations.ts";

Deno.test("[format] waitText - seconds, minutes, then hours with the minutes left (none when whole)", () => {
  assert.equal(waitText(0), "0 s");
  assert.equal(waitText(45_999), "45 s");
  assert.equal(waitText(7 * 60_000 + 59_000), "7 min");
  assert.equal(waitText(125 * 60_000), "2 h 5 min");
  assert.equal(waitText(120 * 60_000), "2 h");
});

Deno.test("[format] relativeTime - one way to say how long ago, on every island and page", () => {
  const now = Date.parse("2026-03-02T12:00:00Z");
  const ago = (ms: number) => relativeTime(new Date(now - ms).toISOString(), now);
  assert.equal(ago(44_000), "just now");
  assert.equal(ago(5 * 60_000), "5 min ago");
  assert.equal(ago(3 * 3_600_000), "3 h ago");
  assert.equal(ago(2 * 86_400_000), "2 d ago");
  assert.equal(ago(20 * 86_400_000), "2026-02-10");
});
