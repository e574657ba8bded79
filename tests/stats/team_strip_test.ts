import assert from "node:assert/strict";
import { createUser } from "../../lib/auth/users.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import { changeLeadOwner } from "../../lib/leads/ownership.ts";
import { createLeadStore } from "../../lib/leads/store.ts";
import { DEFAULT_TEAM_SETTINGS, saveTeamSettings } from "../../lib/routing/settings.ts";
import { readTeamStrip } from "../../lib/stats/team_strip.ts";

Deno.test("[stats] readTeamStrip - today and the 7 days are days of the team's zone; names and the waiting leads come along", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const store = createLeadStore(kv);
    const ann = await createUser(kv, {
      email: "ann@example.com",
      name: "Ann",
      role: "agent",
      password: "correct horse battery staple",
    }, { iterations: 1_000 });
    // Noon UTC on Tuesday 10 March 2026: 08:00 in New York (EDT, since Sunday), where the day
    // began at 04:00 UTC and the 7 days on Wednesday 4 March at 05:00 UTC (EST then).
    const now = Date.parse("2026-03-10T12:00:00Z");
    const created = [
      "2026-03-10T05:00:00Z",
      "2026-03-10T03:00:00Z",
      "2026-03-04T06:00:00Z",
      "2026-03-04T04:00:00Z",
    ];
    const ids: string[] = [];
    for (const [i, iso] of created.entries()) {
      const lead = newManualLead(
        { source: "phone", fullName: `Lead ${i}`, phone: "+15555550100", createdTime: iso },
        new Date(iso),
      );
      await store.insertLeads([lead]);
      ids.push(lead.id);
    }
    await store.updateLead(
      ids[0],
      (lead) => changeLeadOwner(lead, ann, new Date(created[0]), { event: "claimed" }),
    );
    await saveTeamSettings(kv, { ...DEFAULT_TEAM_SETTINGS, timeZone: "America/New_York" });

    const strip = await readTeamStrip(kv, { now });
    assert.equal(strip.now, now);
    assert.equal(strip.today.leads, 1, "today in New York: the 05:00 UTC lead");
    assert.equal(strip.week.leads, 3, "the 7 days: all but the lead of 3 March, 23:00 there");
    assert.deepEqual(strip.today.byOwner.map((o) => o.name), ["Ann"]);
    assert.deepEqual(strip.waiting, {
      count: 4,
      oldestCreatedTime: "2026-03-04T04:00:00.000Z",
      oldestLeadId: ids[3],
    });

    // What the caller has at hand is used as given: here a day of UTC, and no names.
    const utc = await readTeamStrip(kv, { now, timeZone: "UTC", names: new Map() });
    assert.equal(utc.today.leads, 2);
    assert.equal(utc.week.leads, 4);
    assert.deepEqual(utc.today.byOwner.map((o) => o.name), ["Former team member", "Unassigned"]);
  } finally {
    kv.close();
  }
});
