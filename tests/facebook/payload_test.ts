import assert from "node:assert/strict";
import { parseWebhookDelivery, PayloadError } from "../../lib/facebook/payload.ts";

/** Why a delivery, or the one entry or change of it that is malformed, was refused. */
function reasonOf(raw: string): string {
  let delivery;
  try {
    delivery = parseWebhookDelivery(raw);
  } catch (error) {
    assert.ok(error instanceof PayloadError, `expected PayloadError, got ${error}`);
    return error.reason;
  }
  assert.equal(delivery.rejected.length, 1, `expected ${raw} to have one malformed part`);
  assert.equal(delivery.leadgen.length, 0);
  return delivery.rejected[0].reason;
}

Deno.test("[payload] a single leadgen change with string ids", () => {
  const raw = JSON.stringify({
    object: "page",
    entry: [{
      id: "104857600123456",
      time: 1764336060,
      changes: [{
        field: "leadgen",
        value: {
          ad_id: "120208765432101234",
          form_id: "444555666777888",
          leadgen_id: "1234567890123456",
          created_time: 1764336060,
          page_id: "104857600123456",
          adgroup_id: "120208765432109999",
        },
      }],
    }],
  });
  assert.deepEqual(parseWebhookDelivery(raw), {
    object: "page",
    entries: 1,
    leadgen: [{
      leadgenId: "1234567890123456",
      pageId: "104857600123456",
      formId: "444555666777888",
      adId: "120208765432101234",
      adgroupId: "120208765432109999",
      createdTime: 1764336060,
    }],
    ignoredFields: [],
    rejected: [],
  });
});

Deno.test("[payload] ids beyond 2^53 as raw JSON numbers stay exact", () => {
  const raw = '{"object":"page","entry":[{"id":104857600123456,"time":1764336060,"changes":[' +
    '{"field":"leadgen","value":{"leadgen_id":9007199254740993,"page_id":104857600123456,' +
    '"form_id":12345678901234567,"ad_id":120208765432101235,"adgroup_id":120208765432101237,' +
    '"created_time":1764336060}}]}]}';
  const [change] = parseWebhookDelivery(raw).leadgen;
  assert.equal(change.leadgenId, "9007199254740993");
  assert.equal(change.pageId, "104857600123456");
  assert.equal(change.formId, "12345678901234567");
  assert.equal(change.adId, "120208765432101235");
  assert.equal(change.adgroupId, "120208765432101237");
  // The number path really would have lost the last digit.
  assert.notEqual(String(JSON.parse(raw).entry[0].changes[0].value.leadgen_id), "9007199254740993");
});

Deno.test("[payload] the same id as a string", () => {
  const raw = '{"object":"page","entry":[{"id":"1","time":5,"changes":[' +
    '{"field":"leadgen","value":{"leadgen_id":"9007199254740993","created_time":1764336060}}]}]}';
  const [change] = parseWebhookDelivery(raw).leadgen;
  assert.equal(change.leadgenId, "9007199254740993");
  assert.equal(change.pageId, "1", "page id falls back to the entry id");
  assert.equal(change.formId, null);
  assert.equal(change.adId, null, "test leads have no ad ids");
  assert.equal(change.adgroupId, null);
});

Deno.test("[payload] escaped unicode in the raw body", () => {
  const raw = '{"object":"p\\u0061ge","entry":[{"id":"\\u0031\\u0032","time":5,"changes":[' +
    '{"field":"lead\\u0067en","value":{"leadgen_id":"\\u0039\\u0039","created_time":7,' +
    '"note":"caf\\u00e9 \\ud83d\\ude97"}}]}]}';
  const delivery = parseWebhookDelivery(raw);
  assert.equal(delivery.object, "page");
  assert.deepEqual(delivery.leadgen.map((c) => [c.leadgenId, c.pageId]), [["99", "12"]]);
});

Deno.test("[payload] many entries and changes, ignored fields kept once", () => {
  const entry = (page: string, leads: string[], extra: string[]) => ({
    id: page,
    time: 1764336000,
    changes: [
      ...leads.map((id, i) => ({
        field: "leadgen",
        value: { leadgen_id: id, page_id: page, form_id: "77", created_time: 1764336000 + i },
      })),
      ...extra.map((field) => ({ field, value: { item: "status" } })),
    ],
  });
  const raw = JSON.stringify({
    object: "page",
    entry: [entry("10", ["1", "2", "3"], ["feed"]), entry("20", ["4"], ["feed", "ratings"])],
  });
  const delivery = parseWebhookDelivery(raw);
  assert.equal(delivery.entries, 2);
  assert.deepEqual(delivery.leadgen.map((c) => `${c.pageId}/${c.leadgenId}@${c.createdTime}`), [
    "10/1@1764336000",
    "10/2@1764336001",
    "10/3@1764336002",
    "20/4@1764336000",
  ]);
  assert.deepEqual(delivery.ignoredFields, ["feed", "ratings"]);
});

Deno.test("[payload] a delivery of 1,000 changes", () => {
  const changes = Array.from({ length: 1000 }, (_, i) => ({
    field: "leadgen",
    value: { leadgen_id: String(9007199254740993n + BigInt(i)), created_time: 1764336000 },
  }));
  const raw = JSON.stringify({ object: "page", entry: [{ id: "5", time: 1, changes }] });
  const delivery = parseWebhookDelivery(raw);
  assert.equal(delivery.leadgen.length, 1000);
  assert.equal(delivery.leadgen[999].leadgenId, "9007199254741992");
});

Deno.test("[payload] other objects come back with no leadgen", () => {
  const raw = '{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"comments",' +
    '"value":{}}]}]}';
  assert.deepEqual(parseWebhookDelivery(raw), {
    object: "instagram",
    entries: 1,
    leadgen: [],
    ignoredFields: [],
    rejected: [],
  });
});

Deno.test("[payload] created_time falls back to entry time", () => {
  const raw = '{"object":"page","entry":[{"id":"1","time":1764336060,"changes":[' +
    '{"field":"leadgen","value":{"leadgen_id":"2"}}]}]}';
  assert.equal(parseWebhookDelivery(raw).leadgen[0].createdTime, 1764336060);
});

Deno.test("[payload] bad shapes are refused with a readable reason", () => {
  const lead = (value: string) =>
    `{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{}},` +
    `{"field":"leadgen","value":${value}}]}]}`;
  assert.match(reasonOf("not json"), /not valid JSON/);
  assert.match(reasonOf(""), /not valid JSON/);
  assert.equal(reasonOf("[]"), "body must be a JSON object, got an array");
  assert.equal(reasonOf('{"entry":[]}'), "object is missing or not a string");
  assert.equal(reasonOf('{"object":"page","entry":{}}'), "entry must be an array, got an object");
  assert.equal(
    reasonOf('{"object":"page","entry":[3]}'),
    "entry[0] must be an object, got a number",
  );
  assert.equal(
    reasonOf('{"object":"page","entry":[{"id":"1","changes":{}}]}'),
    "entry[0].changes must be an array, got an object",
  );
  assert.equal(reasonOf('{"object":"page","entry":[{"time":1}]}'), "entry[0].id is missing");
  assert.equal(
    reasonOf(lead('{"created_time":1}')),
    "entry[0].changes[1].value.leadgen_id is missing",
  );
  assert.equal(reasonOf(lead("null")), "entry[0].changes[1].value must be an object, got null");
  assert.match(
    reasonOf(lead('{"leadgen_id":"12ab","created_time":1}')),
    /leadgen_id must be a digit string/,
  );
  assert.match(reasonOf(lead('{"leadgen_id":-5,"created_time":1}')), /leadgen_id must be a digit/);
  assert.match(reasonOf(lead('{"leadgen_id":1.5,"created_time":1}')), /leadgen_id must be a digit/);
  assert.match(
    reasonOf(lead('{"leadgen_id":"1","ad_id":{},"created_time":1}')),
    /value\.ad_id must/,
  );
  assert.match(reasonOf(lead('{"leadgen_id":true,"created_time":1}')), /got a boolean/);
});

Deno.test("[payload] a leadgen id has one canonical form: 1e5, 0.0, leading zeros and the like are refused", () => {
  const delivery = (leadgenId: string) =>
    `{"object":"page","entry":[{"id":"1","time":1,"changes":[` +
    `{"field":"leadgen","value":{"leadgen_id":${leadgenId},"created_time":1}}]}]}`;
  for (
    const bad of [
      "1e5",
      "0.0",
      "1.0",
      "100.0",
      "-1",
      "0",
      '"0"',
      '"0123"',
      '"00"',
      '"1e5"',
      '" 123"',
      '"+123"',
      '"١٢٣"',
      '"123456789012345678901"',
      "123456789012345678901",
    ]
  ) {
    assert.match(
      reasonOf(delivery(bad)),
      /leadgen_id must be a digit string or integer: a positive whole number in plain digits/,
      bad,
    );
  }
  for (const good of ["7", '"7"', "12345678901234567890", '"9007199254740993"']) {
    const [change] = parseWebhookDelivery(delivery(good)).leadgen;
    assert.equal(change.leadgenId, good.replaceAll('"', ""));
  }
  assert.match(reasonOf(delivery("1e5")), /got a number not written in plain digits/);
  assert.match(reasonOf(delivery('"0123"')), /got "0123"/);
});

Deno.test("[payload] one malformed change never spoils the others of the delivery", () => {
  const raw = JSON.stringify({
    object: "page",
    entry: [
      {
        id: "10",
        time: 1,
        changes: [
          { field: "leadgen", value: { leadgen_id: "111", created_time: 5 } },
          { field: "leadgen", value: { leadgen_id: "0111", created_time: 5 } },
          { field: "leadgen", value: null },
          { field: "leadgen", value: { leadgen_id: "222", created_time: 6, form_id: "x" } },
          { field: "leadgen", value: { leadgen_id: "333", created_time: 7 } },
        ],
      },
      { id: "01", time: 1, changes: [{ field: "leadgen", value: { leadgen_id: "444" } }] },
      7,
      { id: "20", time: 1, changes: [{ field: "leadgen", value: { leadgen_id: "555" } }] },
    ],
  });
  const delivery = parseWebhookDelivery(raw);
  assert.deepEqual(delivery.leadgen.map((change) => [change.pageId, change.leadgenId]), [
    ["10", "111"],
    ["10", "333"],
    ["20", "555"],
  ]);
  assert.deepEqual(delivery.rejected.map((item) => item.path), [
    "entry[0].changes[1]",
    "entry[0].changes[2]",
    "entry[0].changes[3]",
    "entry[1]",
    "entry[2]",
  ]);
  assert.match(delivery.rejected[2].reason, /value\.form_id must be/);
  assert.match(delivery.rejected[3].reason, /entry\[1\]\.id must be/);
});
