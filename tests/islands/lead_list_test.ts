import assert from "node:assert/strict";
import { toLeadRow } from "../../lib/format/lead_row.ts";
import { applyLeadDetails } from "../../lib/leads/model.ts";
import { type RowProps, rowRedrawn } from "../../islands/dashboard/LeadList.tsx";
import { testMetaLead } from "../_helpers/leads.ts";

const CLOCK = { amberMs: 5 * 60_000, redMs: 15 * 60_000 };

function props(overrides: Partial<RowProps> = {}): RowProps {
  const lead = applyLeadDetails(testMetaLead(), { fullName: "Rowan Row" }, new Date());
  const row = toLeadRow(lead);
  return {
    rows: [row],
    row,
    fresh: new Set(),
    retrying: new Set(),
    marking: new Set(),
    claiming: new Set(),
    selected: new Set(),
    focused: null,
    now: Date.parse(row.createdTime) + 10 * 60_000,
    local: true,
    me: "me",
    clock: CLOCK,
    ...overrides,
  };
}

Deno.test("[lead list] a row is not drawn again when nothing it shows changed", () => {
  const drawn = props();
  const id = drawn.row.id;
  // Another row of the list came or changed: new sets and a new list, this row's flags the same.
  assert.equal(
    rowRedrawn(drawn, {
      ...drawn,
      rows: [drawn.row, props().row],
      fresh: new Set(["someone-else"]),
      selected: new Set(["someone-else"]),
      focused: "someone-else",
      onRetry: () => {},
    }),
    false,
  );
  // A second passed: its waiting clock reads "10 min" still, its age "10 min ago".
  assert.equal(rowRedrawn(drawn, { ...drawn, now: drawn.now + 1_000 }), false);
  // Contacted: no clock runs, and the age moves once a minute.
  const contacted = props({ now: Date.now() });
  contacted.row = {
    ...contacted.row,
    status: "contacted",
    firstContactAt: contacted.row.createdTime,
  };
  assert.equal(rowRedrawn(contacted, { ...contacted, now: contacted.now + 1_000 }), false);

  // What it shows changed: drawn again.
  assert.equal(rowRedrawn(drawn, { ...drawn, row: { ...drawn.row } }), true, "its lead changed");
  assert.equal(rowRedrawn(drawn, { ...drawn, now: drawn.now + 60_000 }), true, "a minute on");
  for (const flag of ["fresh", "retrying", "marking", "claiming", "selected"] as const) {
    assert.equal(rowRedrawn(drawn, { ...drawn, [flag]: new Set([id]) }), true, flag);
  }
  assert.equal(rowRedrawn(drawn, { ...drawn, focused: id }), true, "focused");
  assert.equal(rowRedrawn(drawn, { ...drawn, local: false }), true, "times in the browser's zone");
  // A young lead's clock reads seconds: drawn every second.
  const young = props();
  young.now = Date.parse(young.row.createdTime) + 20_000;
  assert.equal(rowRedrawn(young, { ...young, now: young.now + 1_000 }), true);
});
