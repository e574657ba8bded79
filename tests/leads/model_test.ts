import assert from "node:assert/strict";
import {
  applyLeadDetails,
  changeLeadStatus,
  LeadValidationError,
  markLeadDetailsFailed,
  newManualLead,
  newMetaLead,
  toLeadJson,
} from "../../lib/leads/model.ts";
import { isUlid } from "../../lib/ids.ts";

const now = new Date("2025-03-04T05:06:07.000Z");

Deno.test("[model] newMetaLead - a pending stub from a webhook change, ids as strings", () => {
  const lead = newMetaLead({
    leadgenId: "1234567890123456789",
    pageId: "987654321098765",
    formId: "555",
    adId: null,
    adgroupId: "777",
    createdTime: 1_700_000_000,
  }, now);
  assert.ok(isUlid(lead.id));
  assert.equal(lead.source, "meta");
  assert.equal(lead.leadgenId, "1234567890123456789");
  assert.equal(lead.pageId, "987654321098765");
  assert.equal(lead.adId, "777", "adgroup_id is the legacy name of the ad id");
  assert.equal(lead.adsetId, null);
  assert.equal(lead.createdTime, "2023-11-14T22:13:20.000Z");
  assert.equal(lead.receivedAt, now.toISOString());
  assert.equal(lead.details, "pending");
  assert.equal(lead.status, "new");
  assert.deepEqual(lead.timeline, [{
    at: now.toISOString(),
    event: "received",
    detail: "webhook",
  }]);
});

Deno.test("[model] newMetaLead - refuses a leadgen id that is not a digit string", () => {
  const change = {
    pageId: null,
    formId: null,
    adId: null,
    adgroupId: null,
    createdTime: null,
  };
  assert.throws(() => newMetaLead({ ...change, leadgenId: "" }, now), LeadValidationError);
  assert.throws(
    () => newMetaLead({ ...change, leadgenId: 123 as unknown as string }, now),
    LeadValidationError,
  );
  assert.equal(newMetaLead({ ...change, leadgenId: "1" }, now).createdTime, now.toISOString());
  // One form per id: a leading zero, a sign or 21 digits would give one lead a second id.
  for (const leadgenId of ["0123", "0", "+5", "1e5", "123456789012345678901"]) {
    assert.throws(() => newMetaLead({ ...change, leadgenId }, now), LeadValidationError, leadgenId);
  }
});

Deno.test("[model] newManualLead - validates and trims input", async (t) => {
  await t.step("a phone lead is complete at once", () => {
    const lead = newManualLead({ source: "phone", fullName: "  Ana Ruiz ", phone: "+34 600" }, now);
    assert.equal(lead.fullName, "Ana Ruiz");
    assert.equal(lead.details, "fetched");
    assert.equal(lead.leadgenId, null);
    assert.equal(lead.timeline[0].detail, "phone");
  });
  await t.step("needs a way to reach the person", () => {
    assert.throws(() => newManualLead({ source: "sms", fullName: " " }, now), LeadValidationError);
  });
  await t.step("refuses meta as a manual source and a bad email", () => {
    assert.throws(
      () => newManualLead({ source: "meta" as "sms", phone: "1" }, now),
      LeadValidationError,
    );
    assert.throws(() => newManualLead({ source: "sms", email: "nope" }, now), LeadValidationError);
  });
});

Deno.test("[model] state changes add timeline lines", () => {
  const stub = newMetaLead({
    leadgenId: "1",
    pageId: null,
    formId: null,
    adId: null,
    adgroupId: null,
    createdTime: null,
  }, now);
  const later = new Date(now.getTime() + 1000);
  const fetched = applyLeadDetails(stub, { fullName: "Bo", email: undefined }, later);
  assert.equal(fetched.details, "fetched");
  assert.equal(fetched.fullName, "Bo");
  assert.equal(fetched.detailsAttempts, 1);
  assert.equal(fetched.timeline.at(-1)?.event, "details fetched");
  const failed = markLeadDetailsFailed(stub, "Graph API said 500", later);
  assert.equal(failed.details, "failed");
  assert.equal(failed.detailsError, "Graph API said 500");
  const won = changeLeadStatus(fetched, "won", later);
  assert.equal(won?.status, "won");
  assert.equal(won?.timeline.at(-1)?.detail, "new → won");
  assert.equal(changeLeadStatus(won!, "won", later), null);
});

Deno.test("[model] toLeadJson - every key present, null rather than missing", () => {
  const lead = newManualLead({ source: "walk-in", fullName: "Cy" }, now);
  const partial = { ...lead } as Record<string, unknown>;
  delete partial.adName;
  const json = toLeadJson(partial as unknown as typeof lead);
  assert.equal(json.adName, null);
  assert.deepEqual(Object.keys(json), Object.keys(lead));
});
