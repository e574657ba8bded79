// Reading a request body within a limit: up to it, never a byte past it, whatever Content-Length says.
import assert from "node:assert/strict";
import { BodyTooLargeError, readBodyBytes, readJsonObject } from "../../lib/web/body.ts";
import { HttpError } from "../../lib/web/http_error.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
  });
}

Deno.test("[body_limit] reads up to the limit and refuses one byte more", async () => {
  const ten = new Uint8Array(10).fill(1);
  assert.deepEqual(await readBodyBytes(streamOf([ten, ten]), 20), new Uint8Array(20).fill(1));
  assert.deepEqual(await readBodyBytes(null, 20), new Uint8Array(0));
  await assert.rejects(
    readBodyBytes(streamOf([ten, ten, new Uint8Array(1)]), 20),
    BodyTooLargeError,
  );
  await assert.rejects(readBodyBytes(streamOf([ten]), 20, "21"), BodyTooLargeError);
  // A Content-Length that lies low does not help: the stream itself is counted.
  await assert.rejects(readBodyBytes(streamOf([ten, ten, ten]), 20, "5"), BodyTooLargeError);
});

Deno.test("[body] readJsonObject: an object, else 400; an empty body is {} only when asked", async () => {
  const post = (body: string) => new Request("http://x/", { method: "POST", body });
  assert.deepEqual(await readJsonObject(post('{"count":2}')), { count: 2 });
  assert.deepEqual(await readJsonObject(post(" "), { emptyIsObject: true }), {});
  for (
    const [body, options, message] of [
      ["", {}, /not valid JSON/],
      ["{oops", { emptyIsObject: true }, /not valid JSON/],
      ["[1]", { emptyIsObject: true }, /expected a JSON object/],
      ["null", {}, /expected a JSON object/],
    ] as const
  ) {
    const error = await readJsonObject(post(body), options).then(() => null, (e) => e);
    assert.ok(error instanceof HttpError, `${JSON.stringify(body)} is refused`);
    assert.equal(error.status, 400);
    assert.match(error.message, message);
  }
});
