// kvValueSize against the real Deno KV: what it says fits is accepted, and at the boundary it is exact.

import assert from "node:assert/strict";
import {
  fitsInKvValue,
  KV_MAX_VALUE_BYTES,
  kvValueSize,
  toKvValue,
} from "../../lib/kv_value_size.ts";
import { newMetaLead } from "../../lib/leads/model.ts";

async function kvAccepts(kv: Deno.Kv, value: unknown): Promise<boolean> {
  try {
    await kv.set(["probe"], value);
    return true;
  } catch (error) {
    assert.match((error as Error).message, /Value too large/);
    return false;
  }
}

/** The longest `n` for which KV accepts `make(n)`, found by asking KV. */
async function longestAccepted(kv: Deno.Kv, make: (n: number) => unknown): Promise<number> {
  let low = 0;
  let high = 70_000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (await kvAccepts(kv, make(mid))) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The longest `n` for which kvValueSize says `make(n)` fits. */
function longestEstimated(make: (n: number) => unknown): number {
  let low = 0;
  let high = 70_000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (kvValueSize(make(mid)) <= KV_MAX_VALUE_BYTES) low = mid;
    else high = mid - 1;
  }
  return low;
}

const lead = newMetaLead({
  leadgenId: "1234567890123456",
  pageId: "111",
  formId: "222",
  adId: null,
  adgroupId: null,
  createdTime: 1_764_336_000,
}, new Date("2026-01-02T03:04:05.000Z"));

/** Shapes without integers, where the estimate must be exact to the character at the boundary. */
const exactShapes: [string, (n: number) => unknown][] = [
  ["a Latin-1 string", (n) => "é".repeat(n)],
  ["a string with one euro sign", (n) => "€" + "a".repeat(n)],
  ["Japanese text", (n) => "日本".repeat(n)],
  ["an emoji string", (n) => "😀".repeat(n)],
  ["nested answers, one of them two-byte", (n) =>
    toKvValue({
      answers: [
        { name: "q1", values: ["plain"] },
        { name: "q2", values: ["€" + "x".repeat(n)] },
        { name: "q3", values: [true, null, 1.5] },
      ],
    })],
  [
    "two-byte strings at odd and even offsets",
    (n) => toKvValue({ a: "€", bb: "日本語", ccc: "x", d: "€".repeat(n), e: ["€", "é", ""] }),
  ],
  [
    "integer-like keys",
    (n) => toKvValue({ "0": "a", "7": "€", "4294967294": "b", x: "y".repeat(n) }),
  ],
];

Deno.test("[kv size] exact at KV's own boundary for values without integers", async (t) => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (const [name, make] of exactShapes) {
      await t.step(name, async () => {
        const accepted = await longestAccepted(kv, make);
        // The same longest value: KV takes what the estimate says fits, and nothing more.
        assert.equal(longestEstimated(make), accepted);
        assert.equal(fitsInKvValue(make(accepted)), true);
        assert.equal(fitsInKvValue(make(accepted + 1)), false);
      });
    }
  } finally {
    kv.close();
  }
});

Deno.test("[kv size] never under for a stored lead (integers make it an upper bound within a few bytes)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (const text of ["x", "é", "€", "日本"]) {
      const make = (n: number) =>
        toKvValue({ ...lead, answers: [{ name: "story", values: [text.repeat(n)] }] });
      const accepted = await longestAccepted(kv, make);
      const estimated = longestEstimated(make);
      assert.ok(estimated <= accepted, `${text}: estimated ${estimated} > accepted ${accepted}`);
      // detailsAttempts is the lead's one integer: a few bytes of slack, no more.
      assert.ok(
        (accepted - estimated) * text.length * (text.charCodeAt(0) > 0xff ? 2 : 1) <= 16,
        `${text}: ${accepted - estimated} characters of slack`,
      );
    }
  } finally {
    kv.close();
  }
});

Deno.test("[kv size] exact to the byte: the longest Latin-1 string KV takes measures 65,536", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const accepted = await longestAccepted(kv, (n) => "a".repeat(n));
    assert.equal(kvValueSize("a".repeat(accepted)), KV_MAX_VALUE_BYTES);
  } finally {
    kv.close();
  }
});

Deno.test("[kv size] counts UTF-16 for any string with a character past Latin-1", () => {
  const ascii = "a".repeat(33_000);
  // The old estimate counted UTF-8 bytes: 33,002 here. KV stores this string in 66,000 bytes.
  assert.ok(kvValueSize(ascii + "€") > KV_MAX_VALUE_BYTES);
  assert.ok(kvValueSize(ascii + "é") < KV_MAX_VALUE_BYTES);
  assert.equal(new TextEncoder().encode(ascii + "€").length, 33_003);
});

Deno.test("[kv size] toKvValue makes a slice of a two-byte string one byte per character again", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const sliced = ("€" + "a".repeat(40_000)).slice(1);
    // V8 keeps the slice two bytes per character, so KV refuses it as it is...
    assert.equal(await kvAccepts(kv, { answer: sliced }), false);
    // ...and accepts it once rebuilt, which is what kvValueSize measures.
    const rebuilt = toKvValue({ answer: sliced });
    assert.ok(fitsInKvValue(rebuilt));
    assert.equal(await kvAccepts(kv, rebuilt), true);
  } finally {
    kv.close();
  }
});

Deno.test("[kv size] Uint8Array counts its bytes; non-JSON values are refused", () => {
  assert.equal(kvValueSize(new Uint8Array(100)), 100);
  assert.throws(() => kvValueSize(new Map()), TypeError);
  assert.throws(() => kvValueSize({ at: new Date() }), TypeError);
  assert.throws(() => kvValueSize(1n), TypeError);
});
