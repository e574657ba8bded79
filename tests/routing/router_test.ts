import assert from "node:assert/strict";
import { createUser } from "../../lib/auth/users.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import { claimLead } from "../../lib/leads/ownership.ts";
import { addLeadActivity } from "../../lib/leads/activities.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";
import { reassignOverdueLeads, routeNewLeads } from "../../lib/routing/router.ts";
import {
  checkTeamSettings,
  DEFAULT_TEAM_SETTINGS,
  isWithinWorkingHours,
  saveTeamSettings,
  type TeamSettings,
} from "../../lib/routing/settings.ts";
import { setOnShift } from "../../lib/routing/shift.ts";

const START = Date.parse("2026-03-02T09:00:00Z"); // a Monday

async function agents(kv: Deno.Kv, names: string[]) {
  const out = [];
  for (const name of names) {
    const user = await createUser(kv, {
      email: `${name.toLowerCase()}@example.com`,
      name,
      role: "agent",
      password: "correct horse battery staple",
    }, { iterations: 1_000 });
    out.push({ id: user.id, name, role: "agent" as const });
  }
  return out;
}

async function addLeads(store: LeadStore, count: number, at: number): Promise<string[]> {
  const leads = Array.from(
    { length: count },
    (_, i) =>
      newManualLead(
        { source: "phone", fullName: `Lead ${i}`, phone: `+1555555${1000 + i}` },
        new Date(at + i),
      ),
  );
  const { inserted } = await store.insertLeads(leads);
  return inserted.map((lead) => lead.id);
}

async function routingOn(
  kv: Deno.Kv,
  at: number,
  extra: Partial<Record<string, unknown>> = {},
): Promise<TeamSettings> {
  const check = checkTeamSettings(
    { routingEnabled: true, ...extra },
    DEFAULT_TEAM_SETTINGS,
    new Date(at),
  );
  assert.ok(check.ok);
  await saveTeamSettings(kv, check.settings);
  return check.settings;
}

Deno.test("[routing] new leads go round robin over the three agents on shift", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let clock = START;
  const now = () => new Date(clock);
  const [ann, bob, cat, dan] = await agents(kv, ["Ann", "Bob", "Cat", "Dan"]);
  for (const agent of [ann, bob, cat]) await setOnShift(kv, agent.id, true, now());
  // Dan is off shift: he gets nothing.
  await addLeads(store, 2, START - 60_000); // waiting before routing was switched on
  await routingOn(kv, START);
  clock += 1_000;
  const ids = await addLeads(store, 7, clock);
  assert.equal(await routeNewLeads({ kv, store, now }), 7);
  const owners = (await store.getLeads(ids)).map((lead) => lead?.ownerName);
  const order = [ann, bob, cat].sort((a, b) => (a.id < b.id ? -1 : 1)).map((a) => a.name);
  assert.deepEqual(owners, [...order, ...order, order[0]]);
  assert.ok(!owners.includes(dan.name));
  const older = await store.listLeadsOwnedBy([null]);
  assert.equal(older.leads.length, 2, "leads from before routing was on stay unassigned");
  const timeline = await store.listTimeline(ids[0]);
  assert.equal(timeline.events.at(-1)?.event, "routed");
  assert.equal(timeline.events.at(-1)?.detail, `to ${order[0]} (round robin)`);
  // A second pass finds nothing more to route.
  assert.equal(await routeNewLeads({ kv, store, now }), 0);
  kv.close();
});

Deno.test("[routing] nobody on shift, routing off or outside working hours: leads wait unassigned", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const now = () => new Date(START + 5_000);
  const [ann] = await agents(kv, ["Ann"]);
  await addLeads(store, 1, START + 1_000);
  assert.equal(await routeNewLeads({ kv, store, now }), 0, "routing is off by default");
  await routingOn(kv, START);
  assert.equal(await routeNewLeads({ kv, store, now }), 0, "nobody on shift");
  await routingOn(kv, START, {
    workingHoursEnabled: true,
    workStart: "13:00",
    workEnd: "17:00",
    timeZone: "Europe/Berlin",
  });
  await setOnShift(kv, ann.id, true);
  assert.equal(await routeNewLeads({ kv, store, now }), 0, "10:00 in Berlin is before 13:00");
  const afternoon = () => new Date(Date.parse("2026-03-02T12:30:00Z"));
  assert.equal(await routeNewLeads({ kv, store, now: afternoon }), 1, "13:30 in Berlin");
  kv.close();
});

Deno.test("[routing] working hours: days, zone and hours past midnight", () => {
  const settings = (
    workingHours: TeamSettings["routing"]["workingHours"],
    timeZone = "UTC",
  ): TeamSettings => ({
    ...DEFAULT_TEAM_SETTINGS,
    timeZone,
    routing: { ...DEFAULT_TEAM_SETTINGS.routing, workingHours },
  });
  const weekdays = settings(
    { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00" },
    "America/New_York",
  );
  assert.equal(isWithinWorkingHours(weekdays, Date.parse("2026-03-02T14:00:00Z")), true); // Mon 09:00 NY
  assert.equal(isWithinWorkingHours(weekdays, Date.parse("2026-03-02T13:59:00Z")), false);
  assert.equal(isWithinWorkingHours(weekdays, Date.parse("2026-03-07T15:00:00Z")), false); // Saturday
  const night = settings({ days: [5], start: "22:00", end: "06:00" });
  assert.equal(isWithinWorkingHours(night, Date.parse("2026-03-06T23:00:00Z")), true); // Fri 23:00
  assert.equal(isWithinWorkingHours(night, Date.parse("2026-03-07T05:00:00Z")), true); // Sat 05:00, Friday's shift
  assert.equal(isWithinWorkingHours(night, Date.parse("2026-03-07T23:00:00Z")), false);
  assert.equal(isWithinWorkingHours(settings(null), 0), true);
});

Deno.test("[routing] a lead not contacted within the minutes goes to the next agent on shift (injected clock)", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let clock = START;
  const now = () => new Date(clock);
  const [ann, bob, cat] = await agents(kv, ["Ann", "Bob", "Cat"]);
  const order = [ann, bob, cat].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const agent of order) await setOnShift(kv, agent.id, true, now());
  await routingOn(kv, START, { reassignAfterMinutes: "10" });
  clock += 1_000;
  const [slow, called] = await addLeads(store, 2, clock);
  assert.equal(await routeNewLeads({ kv, store, now }), 2);
  const [slowLead, calledLead] = await store.getLeads([slow, called]);
  assert.equal(slowLead?.ownerId, order[0].id);
  assert.equal(calledLead?.ownerId, order[1].id);
  // The second lead's owner calls; the first lead's owner does not.
  clock += 3 * 60_000;
  await addLeadActivity(
    store,
    called,
    { kind: "call", outcome: "talked", text: null, followUpAt: null },
    order[1],
    { now },
  );

  clock = START + 1_000 + 9 * 60_000;
  assert.equal(await reassignOverdueLeads({ kv, store, now }), 0, "9 minutes: not yet");
  clock = START + 1_000 + 10 * 60_000;
  assert.equal(await reassignOverdueLeads({ kv, store, now }), 1);
  const moved = await store.getLead(slow);
  assert.equal(moved?.ownerId, order[2].id, "the next agent in the round");
  assert.equal(moved?.assignedAt, new Date(clock).toISOString());
  const line = (await store.listTimeline(slow)).events.at(-1);
  assert.equal(line?.event, "re-assigned");
  assert.equal(
    line?.detail,
    `from ${order[0].name} to ${order[2].name}: not contacted within 10 min`,
  );
  assert.equal((await store.getLead(called))?.ownerId, order[1].id, "a contacted lead stays");

  // Ten minutes on, the new owner has not called either: it moves on, never back to the same one.
  clock += 10 * 60_000;
  assert.equal(await reassignOverdueLeads({ kv, store, now }), 1);
  assert.notEqual((await store.getLead(slow))?.ownerId, order[2].id);
  kv.close();
});

Deno.test("[routing] re-assignment is off by default and leaves claimed leads alone until routing is on", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let clock = START;
  const now = () => new Date(clock);
  const [ann, bob] = await agents(kv, ["Ann", "Bob"]);
  await setOnShift(kv, bob.id, true, now());
  const [id] = await addLeads(store, 1, clock);
  await claimLead(store, id, ann, { now });
  await routingOn(kv, START + 1);
  clock += 60 * 60_000;
  assert.equal(await reassignOverdueLeads({ kv, store, now }), 0, "no minutes set");
  await routingOn(kv, START + 1, { reassignAfterMinutes: "5" });
  assert.equal(await reassignOverdueLeads({ kv, store, now }), 0, "claimed before routing was on");
  kv.close();
});
