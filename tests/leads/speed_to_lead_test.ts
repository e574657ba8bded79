import assert from "node:assert/strict";
import { changeLeadStatus, newManualLead } from "../../lib/leads/model.ts";
import {
  describeSpeedToLead,
  formatDuration,
  speedToLeadMs,
} from "../../lib/leads/speed_to_lead.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const submitted = Date.parse("2025-03-04T05:00:00.000Z");

function at(minutes: number): Date {
  return new Date(submitted + minutes * 60_000);
}

Deno.test("[speed to lead] from the form's submission to the first move away from new", () => {
  const lead = testMetaLead({ createdTime: submitted / 1000 });
  assert.equal(speedToLeadMs(lead), null);
  assert.equal(describeSpeedToLead(lead), "Not contacted yet");

  const contacted = changeLeadStatus(lead, "contacted", at(4))!;
  assert.equal(speedToLeadMs(contacted), 4 * 60_000);
  assert.equal(describeSpeedToLead(contacted), "Contacted 4 min after the form was submitted");

  // Later changes, even back to new and out again, do not move the first contact.
  const back = changeLeadStatus(contacted, "new", at(30))!;
  const again = changeLeadStatus(back, "qualified", at(90))!;
  assert.equal(speedToLeadMs(again), 4 * 60_000);
});

Deno.test("[speed to lead] read from the timeline when firstContactAt is missing; never negative", () => {
  const lead = testMetaLead({ createdTime: submitted / 1000 });
  const won = changeLeadStatus(lead, "won", at(125))!;
  assert.equal(speedToLeadMs({ ...won, firstContactAt: null }), 125 * 60_000);
  const early = { ...won, firstContactAt: new Date(submitted - 5_000).toISOString() };
  assert.equal(speedToLeadMs(early), 0);
  const byHand = newManualLead({ source: "phone", fullName: "Al" }, new Date(submitted));
  const called = changeLeadStatus(byHand, "contacted", at(2))!;
  assert.equal(describeSpeedToLead(called), "Contacted 2 min after the lead came in");
});

Deno.test("[speed to lead] formatDuration - seconds, minutes, hours, days", () => {
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatDuration(40_000), "40 s");
  assert.equal(formatDuration(59_999), "59 s");
  assert.equal(formatDuration(60_000), "1 min");
  assert.equal(formatDuration(4 * 60_000 + 30_000), "4 min");
  assert.equal(formatDuration(2 * 3_600_000), "2 h");
  assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000), "2 h 5 min");
  assert.equal(formatDuration(47 * 3_600_000), "47 h");
  assert.equal(formatDuration(3 * 86_400_000), "3 d");
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000), "3 d 4 h");
});
