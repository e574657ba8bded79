import assert from "node:assert/strict";
import { changeLeadStatus, LeadValidationError, toLeadJson } from "../../lib/leads/model.ts";
import { parseLeadStatus, parseStatusChange, setLeadStatus } from "../../lib/leads/status.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";

const created = new Date("2025-03-04T05:00:00.000Z");

Deno.test("[status] parseStatusChange - accepts exactly one known status", () => {
  assert.equal(parseStatusChange({ status: "contacted" }), "contacted");
  for (const status of ["new", "qualified", "won", "lost"]) {
    assert.equal(parseStatusChange({ status }), status);
  }
  assert.equal(parseLeadStatus("won"), "won");
});

Deno.test("[status] parseStatusChange - refuses unknown statuses, other fields and no status", () => {
  assert.throws(
    () => parseStatusChange({ status: "called" }),
    (error: Error) =>
      error instanceof LeadValidationError &&
      /"called" is not one of new, contacted, qualified, won, lost/.test(error.message),
  );
  assert.throws(() => parseStatusChange({ status: "Contacted" }), LeadValidationError);
  assert.throws(() => parseStatusChange({ status: 1 }), /number is not one of/);
  assert.throws(() => parseStatusChange({ status: null }), LeadValidationError);
  assert.throws(
    () => parseStatusChange({ status: "won", fullName: "Mallory" }),
    /only "status" can be changed here, not "fullName"/,
  );
  assert.throws(() => parseStatusChange({}), /the body has no "status"/);
});

Deno.test("[model] changeLeadStatus - records who changed it and the first contact", () => {
  const lead = testMetaLead({ createdTime: created.getTime() / 1000 });
  const at = new Date(created.getTime() + 4 * 60_000);
  const contacted = changeLeadStatus(lead, "contacted", at, { by: "Sam Rep" })!;
  assert.equal(contacted.status, "contacted");
  assert.deepEqual(contacted.timeline.at(-1), {
    at: at.toISOString(),
    event: "status changed",
    detail: "new → contacted",
    by: "Sam Rep",
  });
  assert.equal(contacted.firstContactAt, at.toISOString());
  // Later moves keep the first contact; without `by` nobody is named.
  const later = new Date(at.getTime() + 60_000);
  const won = changeLeadStatus(contacted, "won", later)!;
  assert.equal(won.firstContactAt, at.toISOString());
  assert.equal("by" in won.timeline.at(-1)!, false);
  // Unknown statuses are refused even past the type system.
  assert.throws(
    () => changeLeadStatus(lead, "called" as "won", at),
    LeadValidationError,
  );
});

Deno.test("[model] toLeadJson - firstContactAt comes from the timeline for leads stored before it", () => {
  const lead = testMetaLead();
  const contacted = changeLeadStatus(lead, "lost", new Date("2025-03-04T06:00:00.000Z"))!;
  const old = { ...contacted } as Record<string, unknown>;
  delete old.firstContactAt;
  assert.equal(toLeadJson(old as never).firstContactAt, "2025-03-04T06:00:00.000Z");
  assert.equal(toLeadJson(lead).firstContactAt, null);
});

Deno.test("[db] setLeadStatus - changes, records once, names who; unchanged and unknown write nothing", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const lead = testMetaLead();
    await store.insertLeads([lead]);
    const head = await store.getChangeHead();

    const changed = await setLeadStatus(store, lead.id, "contacted", { by: "Sam Rep" });
    assert.equal(changed.outcome, "changed");
    assert.equal(changed.lead?.status, "contacted");
    assert.equal(changed.lead?.timeline.at(-1)?.by, "Sam Rep");
    assert.equal((await store.getLead(lead.id))?.status, "contacted");
    assert.equal(await store.getChangeHead(), head + 1, "one change recorded");
    const { changes } = await store.listChangesSince(head);
    assert.deepEqual(changes.map((c) => [c.kind, c.lead.id]), [["updated", lead.id]]);

    const again = await setLeadStatus(store, lead.id, "contacted", { by: "Other Rep" });
    assert.equal(again.outcome, "unchanged");
    assert.equal(again.lead?.status, "contacted");
    const timeline = await store.listTimeline(lead.id);
    assert.deepEqual(timeline.events.map((event) => event.event), ["received", "status changed"]);
    assert.equal(await store.getChangeHead(), head + 1, "nothing recorded when unchanged");

    const missing = await setLeadStatus(store, "01HZZZZZZZZZZZZZZZZZZZZZZZ", "won");
    assert.deepEqual(missing, { outcome: "not_found", lead: null });
    assert.equal(await store.getChangeHead(), head + 1);
  } finally {
    kv.close();
  }
});
