import assert from "node:assert/strict";
import { createUser } from "../../lib/auth/users.ts";
import { newManualLead } from "../../lib/leads/model.ts";
import {
  assignLead,
  claimLead,
  type LeadActor,
  LeadClaimedError,
  OwnershipForbiddenError,
  UnknownOwnerError,
} from "../../lib/leads/ownership.ts";
import { createLeadStore, LeadNotFoundError, type LeadStore } from "../../lib/leads/store.ts";

async function member(kv: Deno.Kv, name: string, role: "admin" | "agent"): Promise<LeadActor> {
  const user = await createUser(kv, {
    email: `${name.toLowerCase()}@example.com`,
    name,
    role,
    password: "correct horse battery staple",
  }, { iterations: 1_000 });
  return { id: user.id, name: user.name, role };
}

async function oneLead(store: LeadStore): Promise<string> {
  const lead = newManualLead(
    { source: "phone", fullName: "Pat Prospect", phone: "+15555550100" },
    new Date(),
  );
  const { inserted } = await store.insertLeads([lead]);
  return inserted[0].id;
}

Deno.test("[ownership] two concurrent claims: exactly one wins, the other learns who owns the lead", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const ann = await member(kv, "Ann", "agent");
  const bob = await member(kv, "Bob", "agent");
  for (let round = 0; round < 10; round++) {
    const id = await oneLead(store);
    // A second store over the same KV is a second writer (as another process would be): the
    // lead's versionstamp, not the in-process queue, must decide.
    const other = createLeadStore(kv);
    const results = await Promise.allSettled([
      claimLead(store, id, ann),
      claimLead(other, id, bob),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.equal(won.length, 1, `round ${round}: one claim wins`);
    assert.equal(lost.length, 1, `round ${round}: one claim loses`);
    const error = (lost[0] as PromiseRejectedResult).reason;
    assert.ok(error instanceof LeadClaimedError);
    const winner = (won[0] as PromiseFulfilledResult<{ ownerId: string | null }>).value.ownerId;
    assert.equal(error.owner.id, winner);
    assert.equal(error.owner.name, winner === ann.id ? "Ann" : "Bob");
    const stored = await store.getLead(id);
    assert.equal(stored?.ownerId, winner);
    const claims = (await store.listTimeline(id)).events.filter((e) => e.event === "claimed");
    assert.equal(claims.length, 1, "one claim on the timeline");
  }
  kv.close();
});

Deno.test("[ownership] claiming a lead you own changes nothing; an unknown lead is not found", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const ann = await member(kv, "Ann", "agent");
  const id = await oneLead(store);
  await claimLead(store, id, ann);
  const head = await store.getChangeHead();
  const again = await claimLead(store, id, ann);
  assert.equal(again.ownerId, ann.id);
  assert.equal(await store.getChangeHead(), head, "nothing written");
  await assert.rejects(
    () => claimLead(store, "01HZZZZZZZZZZZZZZZZZZZZZZZ", ann),
    LeadNotFoundError,
  );
  kv.close();
});

Deno.test("[ownership] agents assign only to or from themselves; admins move any lead", async (t) => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const deps = { kv, store };
  const ann = await member(kv, "Ann", "agent");
  const bob = await member(kv, "Bob", "agent");
  const boss = await member(kv, "Boss", "admin");
  const id = await oneLead(store);

  await t.step("an agent cannot give a lead to someone else", async () => {
    await assert.rejects(() => assignLead(deps, id, bob.id, ann), OwnershipForbiddenError);
    assert.equal((await store.getLead(id))?.ownerId, null);
  });
  await t.step("an agent takes an unowned lead for themselves", async () => {
    const lead = await assignLead(deps, id, ann.id, ann);
    assert.equal(lead.ownerId, ann.id);
    assert.equal(lead.ownerName, "Ann");
    assert.ok(lead.assignedAt);
  });
  await t.step("another agent can neither take it nor release it", async () => {
    await assert.rejects(() => assignLead(deps, id, bob.id, bob), OwnershipForbiddenError);
    await assert.rejects(() => assignLead(deps, id, null, bob), OwnershipForbiddenError);
    assert.equal((await store.getLead(id))?.ownerId, ann.id);
  });
  await t.step("the owner releases it", async () => {
    const lead = await assignLead(deps, id, null, ann);
    assert.equal(lead.ownerId, null);
    assert.equal(lead.assignedAt, null);
  });
  await t.step("an admin assigns it to anyone and takes it from anyone", async () => {
    assert.equal((await assignLead(deps, id, bob.id, boss)).ownerId, bob.id);
    assert.equal((await assignLead(deps, id, ann.id, boss)).ownerId, ann.id);
    assert.equal((await assignLead(deps, id, null, boss)).ownerId, null);
  });
  await t.step("nobody assigns to an unknown user", async () => {
    await assert.rejects(
      () => assignLead(deps, id, "01HZZZZZZZZZZZZZZZZZZZZZZZ", boss),
      UnknownOwnerError,
    );
  });
  await t.step("the timeline says who moved it where", async () => {
    const events = (await store.listTimeline(id)).events.map((e) =>
      `${e.event}${e.detail ? `: ${e.detail}` : ""}${e.by ? ` by ${e.by}` : ""}`
    );
    assert.deepEqual(events.slice(1), [
      "claimed by Ann",
      "released: was Ann's by Ann",
      "assigned: to Bob by Boss",
      "assigned: to Ann by Boss",
      "released: was Ann's by Boss",
    ]);
  });
  kv.close();
});
