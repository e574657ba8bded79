// The raw webhook deliveries kept for audit and replay: chunked, read back byte for byte, listed.
import assert from "node:assert/strict";
import {
  CHUNK_BYTES,
  listDeliveries,
  readDelivery,
  saveDelivery,
} from "../../lib/leads/deliveries.ts";

Deno.test("[deliveries] a 1 MiB body is kept in chunks and read back byte for byte", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const body = crypto.getRandomValues(new Uint8Array(65_536));
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 16; i++) big.set(body, i * 65_536);
    const record = await saveDelivery(kv, big, {
      requestId: "req-1",
      outcome: "accepted",
      leadgenChanges: 1000,
      reason: null,
    });
    assert.equal(record.chunks, Math.ceil(big.byteLength / CHUNK_BYTES));
    assert.match(record.sha256, /^[0-9a-f]{64}$/);
    const read = await readDelivery(kv, record.id);
    assert.deepEqual(read?.body, big);
    const small = await saveDelivery(kv, new TextEncoder().encode("{}"), {
      requestId: null,
      outcome: "ignored",
      leadgenChanges: 0,
      reason: "no leadgen changes",
    });
    assert.equal(small.chunks, 1);
    assert.deepEqual((await listDeliveries(kv)).map((d) => d.id), [small.id, record.id]);
    assert.equal(await readDelivery(kv, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), null);
  } finally {
    kv.close();
  }
});
