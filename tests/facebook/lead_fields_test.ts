import assert from "node:assert/strict";
import { type GraphLead, mapLeadDetails } from "../../lib/facebook/lead_fields.ts";
import { parseJsonExactIds } from "../../lib/facebook/exact_json.ts";

Deno.test("[lead_fields] maps a full Graph lead", () => {
  const lead = parseJsonExactIds(`{
    "id": "9007199254740993",
    "created_time": "2026-11-28T13:21:00+0000",
    "field_data": [
      {"name": "full_name", "values": ["Ana Lima"]},
      {"name": "email", "values": ["ana.lima@example.com"]},
      {"name": "phone_number", "values": ["+14155550123"]},
      {"name": "which_model?", "values": ["SUV", "Hatchback"]}
    ],
    "ad_id": 120208765432101235, "ad_name": "Carousel - SUVs",
    "adset_id": "120208765432100001", "adset_name": "Lookalike 1%",
    "campaign_id": "120208765432100000", "campaign_name": "Spring Sales",
    "form_id": "444555666777888", "is_organic": false, "platform": "fb"
  }`) as GraphLead;
  assert.deepEqual(mapLeadDetails(lead), {
    fullName: "Ana Lima",
    email: "ana.lima@example.com",
    phone: "+14155550123",
    answers: [
      { name: "full_name", values: ["Ana Lima"] },
      { name: "email", values: ["ana.lima@example.com"] },
      { name: "phone_number", values: ["+14155550123"] },
      { name: "which_model?", values: ["SUV", "Hatchback"] },
    ],
    adId: "120208765432101235",
    adName: "Carousel - SUVs",
    adsetId: "120208765432100001",
    adsetName: "Lookalike 1%",
    campaignId: "120208765432100000",
    campaignName: "Spring Sales",
    formId: "444555666777888",
    isOrganic: false,
    platform: "fb",
    createdTime: "2026-11-28T13:21:00.000Z",
  });
});

Deno.test("[lead_fields] first and last name, work email, fallbacks and blanks", () => {
  const details = mapLeadDetails({
    id: "1",
    created_time: "2026-11-28T15:21:00+0200",
    field_data: [
      { name: "FIRST_NAME", values: ["Jo"] },
      { name: "last_name", values: ["Park"] },
      { name: "email", values: ["  "] },
      { name: "work_email", values: ["jo@corp.example"] },
      { name: "work_phone_number", values: ["+4930123456"] },
    ],
  });
  assert.equal(details.fullName, "Jo Park");
  assert.equal(details.email, "jo@corp.example");
  assert.equal(details.phone, "+4930123456");
  assert.equal(details.createdTime, "2026-11-28T13:21:00.000Z");
  assert.equal(details.answers.length, 5);
});

Deno.test("[lead_fields] a bare lead maps to nulls", () => {
  assert.deepEqual(mapLeadDetails({ id: "1" }), {
    fullName: null,
    email: null,
    phone: null,
    answers: [],
    adId: null,
    adName: null,
    adsetId: null,
    adsetName: null,
    campaignId: null,
    campaignName: null,
    formId: null,
    isOrganic: null,
    platform: null,
    createdTime: null,
  });
  assert.equal(mapLeadDetails({ id: "1", created_time: "yesterday" }).createdTime, null);
  assert.equal(
    mapLeadDetails({ id: "1", field_data: [{ name: "phone", values: ["555"] }] }).phone,
    "555",
  );
  assert.equal(
    mapLeadDetails({ id: "1", field_data: [{ name: "last_name", values: ["Solo"] }] }).fullName,
    "Solo",
  );
});

Deno.test("[exact json] ids stay exact however they are written; other numbers stay numbers", () => {
  const cases: [string, unknown][] = [
    // Strings only: the plain parse.
    ['{"leadgen_id":"9007199254740993","time":1764336000}', {
      leadgen_id: "9007199254740993",
      time: 1764336000,
    }],
    // A number under an id key, with spaces and newlines before it.
    ['{"id" :\n 12345678901234567890, "page_id":9007199254740993}', {
      id: "12345678901234567890",
      page_id: "9007199254740993",
    }],
    // An id key spelled with an escape.
    ['{"lead\\u0067en_id":9007199254740993}', { leadgen_id: "9007199254740993" }],
    // An escape elsewhere in the text, and an id after it.
    ['{"note":"caf\\u00e9","ad_id":9007199254740993}', { note: "café", ad_id: "9007199254740993" }],
    // Not plain digits: left a number for the validators to refuse.
    ['{"leadgen_id":1e5,"form_id":-1}', { leadgen_id: 1e5, form_id: -1 }],
    // A value that ends in _id is not a key.
    ['{"field":"x_id","n":5}', { field: "x_id", n: 5 }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseJsonExactIds(text), expected, text);
});
