import assert from "node:assert/strict";
import { changeLeadStatus } from "../../lib/leads/model.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { readReport } from "../../lib/stats/reports.ts";
import { zonedParts } from "../../lib/time_zone.ts";
import { generateLeads } from "../_helpers/lead_generator.ts";

const NOW = Date.parse("2026-03-30T15:00:00Z");
const ZONE = "America/New_York";

function localDay(ms: number): string {
  const p = zonedParts(ms, ZONE);
  return `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

Deno.test("[stats] reports - leads per local day by form, source and campaign, time to first contact and the funnel match a count of the leads", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const leads = generateLeads(1500, { seed: 31, now: NOW, days: 40 });
    await store.insertLeads(leads);
    // A lead qualified and then lost still counts as qualified in the funnel.
    const lost = leads.find((l) =>
      l.status === "new" && Date.parse(l.createdTime) > NOW - 5 * 86_400_000
    )!;
    await store.updateLead(lost.id, (l) => changeLeadStatus(l, "qualified", new Date(NOW)));
    await store.updateLead(lost.id, (l) => changeLeadStatus(l, "lost", new Date(NOW)));
    const after = leads.map((l) =>
      l.id === lost.id
        ? { ...l, status: "lost" as const, firstContactAt: new Date(NOW).toISOString() }
        : l
    );

    const names = { forms: new Map(), campaigns: new Map([["120000000000001", "Spring sale"]]) };
    for (const split of ["form", "source", "campaign"] as const) {
      const report = await readReport(kv, { now: NOW, timeZone: ZONE, split, names });
      assert.equal(report.days.length, 30);
      assert.equal(report.days.at(-1), localDay(NOW));
      const inRange = after.filter((l) =>
        report.days.includes(localDay(Date.parse(l.createdTime)))
      );
      const keyOf = (l: typeof after[number]) =>
        split === "form" ? l.formId ?? "" : split === "source" ? l.source : l.campaignId ?? "";
      for (const series of report.series) {
        report.days.forEach((day, i) => {
          const expected = inRange.filter((l) =>
            keyOf(l) === series.key && localDay(Date.parse(l.createdTime)) === day
          ).length;
          assert.equal(series.counts[i], expected, `${split} ${series.label} on ${day}`);
        });
      }
      assert.equal(report.totals.reduce((a, b) => a + b, 0), inRange.length);
      if (split === "campaign") {
        assert.ok(report.series.some((s) => s.label === "Spring sale"));
        for (const f of report.funnel) {
          const mine = inRange.filter((l) => (l.campaignId ?? "") === f.key);
          assert.equal(f.leads, mine.length);
          const reached = (l: typeof mine[number], rank: number) =>
            l.id === lost.id ? rank <= 2 : ({
              new: 0,
              lost: l.firstContactAt ? 1 : 0,
              contacted: 1,
              qualified: 2,
              won: 3,
            }[l.status] >= rank);
          assert.equal(
            f.contacted,
            mine.filter((l) => reached(l, 1)).length,
            `${f.label} contacted`,
          );
          assert.equal(
            f.qualified,
            mine.filter((l) => reached(l, 2)).length,
            `${f.label} qualified`,
          );
          assert.equal(f.won, mine.filter((l) => reached(l, 3)).length, `${f.label} won`);
        }
      }
      const contacted = inRange.filter((l) => l.firstContactAt);
      assert.equal(report.contacted, contacted.length);
      assert.equal(
        report.contact.at(-1)!.count,
        inRange.length - contacted.length,
        "not contacted yet",
      );
      assert.equal(report.contact.slice(0, -1).reduce((a, r) => a + r.count, 0), contacted.length);
    }
  } finally {
    kv.close();
  }
});
