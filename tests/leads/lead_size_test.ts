// fitLeadRecord: a lead always fits one KV value; what is cut is marked and counted, contacts first.

import assert from "node:assert/strict";
import { KV_MAX_VALUE_BYTES, kvValueSize } from "../../lib/kv_value_size.ts";
import { fitLeadRecord, SHORTENED_SLACK_BYTES } from "../../lib/leads/lead_size.ts";
import { type Lead, type LeadAnswer, newMetaLead } from "../../lib/leads/model.ts";

const MARKER = / \[truncated: (\d+) more characters\]$/;

function leadWith(answers: LeadAnswer[], extra: Partial<Lead> = {}): Lead {
  const stub = newMetaLead({
    leadgenId: "1234567890123456",
    pageId: "111",
    formId: "222",
    adId: null,
    adgroupId: null,
    createdTime: 1_764_336_000,
  }, new Date("2026-01-02T03:04:05.000Z"));
  return {
    ...stub,
    timeline: [],
    fullName: "Ada Long",
    email: "ada@example.com",
    phone: "+15555550100",
    details: "fetched",
    answers,
    ...extra,
  };
}

const contacts: LeadAnswer[] = [
  { name: "full_name", values: ["Ada Long"] },
  { name: "email", values: ["ada@example.com"] },
  { name: "phone_number", values: ["+15555550100"] },
];

async function kvAccepts(value: unknown): Promise<boolean> {
  const kv = await Deno.openKv(":memory:");
  try {
    await kv.set(["lead"], value);
    return true;
  } catch {
    return false;
  } finally {
    kv.close();
  }
}

Deno.test("[lead size] a lead that fits comes back whole", () => {
  const lead = leadWith([...contacts, { name: "story", values: ["€".repeat(30_000)] }]);
  const fitted = fitLeadRecord(lead);
  assert.equal(fitted.shortened, false);
  assert.deepEqual(fitted.lead, lead);
  assert.equal(fitted.lead.answersTruncated, null);
});

Deno.test("[lead size] long answers are cut to one common length, contact answers kept, and KV takes it", async () => {
  const answers = Array.from({ length: 100 }, (_, i) => ({
    name: `question_${i}`,
    values: [`${i}:`.padEnd(700, i % 2 ? "x" : "€")],
  }));
  const fitted = fitLeadRecord(leadWith([...contacts, ...answers]));
  assert.equal(fitted.shortened, true);
  assert.ok(fitted.bytes <= KV_MAX_VALUE_BYTES - SHORTENED_SLACK_BYTES);
  assert.equal(kvValueSize(fitted.lead), fitted.bytes);
  assert.ok(await kvAccepts(fitted.lead));
  assert.deepEqual(fitted.lead.answers.slice(0, 3), contacts);
  let left = 0;
  const kept = new Set<number>();
  for (const [i, answer] of fitted.lead.answers.slice(3).entries()) {
    const match = MARKER.exec(answer.values[0])!;
    assert.ok(match, `answer ${i} carries the marker`);
    kept.add(match.index);
    left += Number(match[1]);
    assert.equal(match.index + Number(match[1]), 700, "kept + left out = the original");
    assert.ok(answer.values[0].startsWith(`${i}:`));
  }
  assert.equal(kept.size, 1, "one common length for every answer");
  assert.deepEqual(fitted.lead.answersTruncated, {
    values: 100,
    characters: left,
    answersDropped: 0,
  });
  assert.equal(fitted.lead.fullName, "Ada Long");
});

Deno.test("[lead size] too many answers: the last ones are left out, contact answers kept wherever they are", async () => {
  const many = Array.from({ length: 6_000 }, (_, i) => ({ name: `q${i}`, values: ["yes"] }));
  const fitted = fitLeadRecord(
    leadWith([...many.slice(0, 3000), ...contacts, ...many.slice(3000)]),
  );
  assert.equal(fitted.shortened, true);
  assert.ok(await kvAccepts(fitted.lead));
  const names = fitted.lead.answers.map((answer) => answer.name);
  for (const contact of contacts) assert.ok(names.includes(contact.name));
  assert.equal(names[0], "q0", "kept in form order");
  const dropped = fitted.lead.answersTruncated!.answersDropped;
  assert.ok(dropped > 0);
  assert.equal(fitted.lead.answers.length + dropped, 6_003);
});

Deno.test("[lead size] shortening again adds to the counts; a surrogate pair is never split", () => {
  const first = fitLeadRecord(leadWith([{ name: "story", values: ["😀".repeat(40_000)] }])).lead;
  const value = first.answers[0].values[0];
  const match = MARKER.exec(value)!;
  const kept = value.slice(0, match.index);
  assert.equal(kept.length % 2, 0, "whole emoji only");
  assert.equal(kept.length + Number(match[1]), 80_000);
  // Later the lead grows past the limit again: the cut goes deeper and the counts add up.
  const grown = { ...first, notes: "n".repeat(10_000), answersTruncated: first.answersTruncated };
  const second = fitLeadRecord(grown, KV_MAX_VALUE_BYTES - 20_000).lead;
  const again = MARKER.exec(second.answers[0].values[0])!;
  assert.equal(again.index + Number(again[1]), 80_000);
  assert.equal(second.answersTruncated?.characters, Number(again[1]));
  assert.equal(second.answersTruncated?.values, 1);
});

Deno.test("[lead size] last resort: other long text is cut too, and the lead still fits", async () => {
  const fitted = fitLeadRecord(leadWith(contacts, { notes: "n".repeat(70_000) }));
  assert.equal(fitted.shortened, true);
  assert.ok(await kvAccepts(fitted.lead));
  assert.match(fitted.lead.notes!, MARKER);
  assert.equal(fitted.lead.email, "ada@example.com");
});
