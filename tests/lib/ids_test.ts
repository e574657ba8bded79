import assert from "node:assert/strict";
import { isUlid, ulid, ulidTime } from "../../lib/ids.ts";

Deno.test("[ids] ulid - encodes its time and is a ULID", () => {
  const time = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
  const id = ulid(time);
  assert.equal(id.length, 26);
  assert.ok(isUlid(id));
  assert.equal(ulidTime(id), time);
});

Deno.test("[ids] ulid - strictly increasing within one millisecond and when the clock steps back", () => {
  const time = Date.now();
  const ids = [ulid(time), ulid(time), ulid(time), ulid(time - 5_000), ulid(time)];
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
});

Deno.test("[ids] ulid - rejects a time it cannot encode", () => {
  assert.throws(() => ulid(-1), RangeError);
  assert.throws(() => ulid(1.5), RangeError);
  assert.throws(() => ulidTime("not-a-ulid"), TypeError);
});
