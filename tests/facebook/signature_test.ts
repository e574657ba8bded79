import assert from "node:assert/strict";
import { appSecretProof, signBody, verifySignature } from "../../lib/facebook/signature.ts";
import { constantTimeEqual, hexToBytes, hmacSha256Hex, randomToken } from "../../lib/crypto.ts";

const SECRET = "test-app-secret-0123";
const encoder = new TextEncoder();
// Escaped unicode and a big numeric id: re-serializing this text changes its bytes.
const RAW = '{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"leadgen",' +
  '"value":{"leadgen_id":9007199254740993,"note":"caf\\u00e9"}}]}]}';

Deno.test("[crypto] hmacSha256Hex matches a known vector (RFC 4231 case 2)", async () => {
  assert.equal(
    await hmacSha256Hex("Jefe", "what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("[crypto] constantTimeEqual", () => {
  assert.equal(constantTimeEqual("verify-token", "verify-token"), true);
  assert.equal(constantTimeEqual("verify-token", "verify-tokeN"), false);
  assert.equal(constantTimeEqual("verify-token", "verify-token-longer"), false);
  assert.equal(constantTimeEqual("", ""), true);
  assert.equal(constantTimeEqual("", "a"), false);
  assert.equal(constantTimeEqual("é", "e"), false);
});

Deno.test("[crypto] hex and random tokens", () => {
  assert.deepEqual(hexToBytes("00ff10"), new Uint8Array([0, 255, 16]));
  assert.equal(hexToBytes("abc"), null);
  assert.equal(hexToBytes("zz"), null);
  const token = randomToken(32);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(randomToken(16), randomToken(16));
  assert.throws(() => randomToken(0), RangeError);
});

Deno.test("[signature] a correctly signed raw body verifies", async () => {
  const body = encoder.encode(RAW);
  const header = await signBody(SECRET, body);
  assert.match(header, /^sha256=[0-9a-f]{64}$/);
  assert.equal(header, `sha256=${await hmacSha256Hex(SECRET, RAW)}`);
  assert.deepEqual(await verifySignature(SECRET, body, header), { ok: true });
  // Meta's hex is lowercase, but case must not matter.
  assert.deepEqual(
    await verifySignature(SECRET, body, header.toUpperCase().replace("SHA256", "sha256")),
    {
      ok: true,
    },
  );
});

Deno.test("[signature] missing, malformed and mismatched headers are refused", async (t) => {
  const body = encoder.encode(RAW);
  const good = await signBody(SECRET, body);
  await t.step("missing", async () => {
    assert.deepEqual(await verifySignature(SECRET, body, null), { ok: false, reason: "missing" });
    assert.deepEqual(await verifySignature(SECRET, body, ""), { ok: false, reason: "missing" });
  });
  await t.step("malformed", async () => {
    for (const header of ["sha1=" + good.slice(7, 47), good.slice(7), "sha256=xyz", good + "00"]) {
      assert.deepEqual(await verifySignature(SECRET, body, header), {
        ok: false,
        reason: "malformed",
      });
    }
  });
  await t.step("mismatch: other secret, flipped byte, re-serialized JSON", async () => {
    const other = await signBody("another-secret", body);
    assert.deepEqual(await verifySignature(SECRET, body, other), { ok: false, reason: "mismatch" });
    const flipped = good.slice(0, -1) + (good.endsWith("0") ? "1" : "0");
    assert.deepEqual(await verifySignature(SECRET, body, flipped), {
      ok: false,
      reason: "mismatch",
    });
    const reserialized = encoder.encode(JSON.stringify(JSON.parse(RAW)));
    assert.notDeepEqual(reserialized, body);
    assert.deepEqual(await verifySignature(SECRET, reserialized, good), {
      ok: false,
      reason: "mismatch",
    });
  });
});

Deno.test("[signature] appSecretProof is the hex HMAC of the token", async () => {
  const proof = await appSecretProof(SECRET, "page-token-abc");
  assert.equal(proof, await hmacSha256Hex(SECRET, "page-token-abc"));
  assert.notEqual(proof, await appSecretProof("another-secret", "page-token-abc"));
});
