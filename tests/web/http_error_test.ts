import assert from "node:assert/strict";
import { DomainError, type ErrorKind, InvalidCursorError } from "../../lib/errors.ts";
import { errorAnswer, HttpError, STATUS_OF_KIND } from "../../lib/web/http_error.ts";

Deno.test("[web] errorAnswer - each kind of core error has its status, in one table", () => {
  const expected: Record<ErrorKind, number> = {
    invalid_input: 400,
    not_found: 404,
    conflict: 409,
    forbidden: 403,
    unavailable: 503,
  };
  assert.deepEqual(STATUS_OF_KIND, expected);
  for (const [kind, status] of Object.entries(expected)) {
    const answer = errorAnswer(new DomainError(kind as ErrorKind, "why", { details: { a: 1 } }));
    assert.deepEqual(answer, { status, headers: {}, details: { a: 1 } });
  }
  assert.equal(errorAnswer(new InvalidCursorError("bad cursor"))?.status, 400);
});

Deno.test("[web] errorAnswer - Retry-After for unavailable, HttpError as it says, anything else is a defect", () => {
  assert.deepEqual(
    errorAnswer(new DomainError("unavailable", "full", { retryAfterSeconds: 5 }))?.headers,
    { "retry-after": "5" },
  );
  assert.deepEqual(errorAnswer(new HttpError(413, "too large", { headers: { x: "y" } })), {
    status: 413,
    headers: { x: "y" },
    details: undefined,
  });
  // A TypeError is a bug somewhere, never "bad input": it stays a 500.
  assert.equal(errorAnswer(new TypeError("Cannot read properties of undefined")), null);
  assert.equal(errorAnswer(new Error("boom")), null);
  assert.equal(errorAnswer("a string"), null);
});
