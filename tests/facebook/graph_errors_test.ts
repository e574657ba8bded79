import assert from "node:assert/strict";
import {
  bucRetryAfterMs,
  classifyGraphError,
  GraphApiError,
  redactSecrets,
} from "../../lib/facebook/graph_errors.ts";

function metaError(code: number | null, message = "An error", subcode?: number) {
  return {
    error: {
      message,
      type: "OAuthException",
      ...(code === null ? {} : { code }),
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      fbtrace_id: "AbCdEf123",
    },
  };
}

Deno.test("[graph_errors] classification table", () => {
  const cases: [number, unknown, string][] = [
    [400, metaError(190, "Error validating access token: Session has expired", 463), "token"],
    [400, metaError(102), "token"],
    [400, metaError(4, "Application request limit reached"), "rate_limit"],
    [400, metaError(17, "User request limit reached"), "rate_limit"],
    [400, metaError(32), "rate_limit"],
    [400, metaError(613), "rate_limit"],
    [400, metaError(80001), "rate_limit"],
    [400, metaError(80005), "rate_limit"],
    [500, metaError(1, "An unknown error occurred"), "transient"],
    [503, metaError(2, "Service temporarily unavailable"), "transient"],
    [403, metaError(10, "Application does not have permission"), "permission"],
    [403, metaError(200), "permission"],
    [403, metaError(299), "permission"],
    [
      400,
      metaError(100, "Unsupported get request. Object with ID '12' does not exist", 33),
      "not_found",
    ],
    [400, metaError(100, "Object does not exist"), "not_found"],
    [400, metaError(100, "Invalid parameter"), "bad_request"],
    [500, null, "transient"],
    [502, "<html>Bad gateway</html>", "transient"],
    [504, metaError(null), "transient"],
    [429, null, "rate_limit"],
    [404, null, "not_found"],
    [400, null, "bad_request"],
    [400, metaError(2500, "An active access token must be used"), "bad_request"],
  ];
  for (const [status, body, kind] of cases) {
    const error = classifyGraphError(status, body, new Headers());
    assert.ok(error instanceof GraphApiError);
    assert.equal(error.kind, kind, `${status} ${JSON.stringify(body)}`);
    assert.equal(error.status, status);
  }
});

Deno.test("[graph_errors] fields and message", () => {
  const error = classifyGraphError(
    400,
    metaError(190, "Error validating access token", 463),
    new Headers(),
  );
  assert.equal(error.code, 190);
  assert.equal(error.subcode, 463);
  assert.equal(error.fbtraceId, "AbCdEf123");
  assert.equal(error.retryAfterMs, null);
  assert.equal(error.retryable, false);
  assert.match(error.message, /Error validating access token/);
  assert.match(error.message, /code 190, subcode 463, HTTP 400/);
});

Deno.test("[graph_errors] BUC header gives retryAfterMs", () => {
  const buc = JSON.stringify({
    "104857600123456": [
      {
        type: "pages",
        call_count: 100,
        total_cputime: 20,
        total_time: 30,
        estimated_time_to_regain_access: 3,
      },
      {
        type: "leadgen",
        call_count: 99,
        total_cputime: 5,
        total_time: 5,
        estimated_time_to_regain_access: 7,
      },
    ],
  });
  const error = classifyGraphError(
    400,
    metaError(80001),
    new Headers({ "X-Business-Use-Case-Usage": buc }),
  );
  assert.equal(error.kind, "rate_limit");
  assert.equal(error.retryAfterMs, 7 * 60_000);
  assert.equal(error.retryable, true);
  assert.equal(bucRetryAfterMs("not json"), null);
  assert.equal(bucRetryAfterMs('{"1":[{"type":"pages"}]}'), null);
  assert.equal(
    classifyGraphError(429, null, new Headers({ "retry-after": "30" })).retryAfterMs,
    30_000,
  );
});

Deno.test("[graph_errors] redaction of token and proof", () => {
  const text =
    "error sending request for url (http://h/v21.0/1?fields=id&access_token=SECRETTOKEN" +
    "&appsecret_proof=abc123): connection refused";
  const redacted = redactSecrets(text);
  assert.doesNotMatch(redacted, /SECRETTOKEN|abc123/);
  assert.match(redacted, /access_token=\[redacted\]&appsecret_proof=\[redacted\]\)/);
  assert.equal(
    redactSecrets("token SECRETTOKEN leaked", ["SECRETTOKEN"]),
    "token [redacted] leaked",
  );
  const error = new GraphApiError({ kind: "transient", message: text });
  assert.doesNotMatch(error.message, /SECRETTOKEN/);
});
