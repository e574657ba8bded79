// The lead event feed: each lead's timeline lines become events in order, handed to every sink
// exactly once, even when two processes follow the same KV; history before the first run is not news.

import assert from "node:assert/strict";
import type { LeadEvent } from "../../lib/lead_events/events.ts";
import { createLeadEventFeed, type LeadEventFeed } from "../../lib/lead_events/feed.ts";
import { leadEventEpochKey } from "../../lib/lead_events/keys.ts";
import { eraseLead } from "../../lib/leads/erase.ts";
import { createLogger } from "../../lib/log.ts";
import { applyLeadDetails, changeLeadStatus, type Lead } from "../../lib/leads/model.ts";
import { changeLeadOwner } from "../../lib/leads/ownership.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { waitFor } from "../_helpers/wait.ts";

const quiet = createLogger({ level: "silent" });

/** A feed whose one sink records what it was handed, with a marker key per event in the commit. */
function recordingFeed(kv: Deno.Kv, store: LeadStore, seen: LeadEvent[]): LeadEventFeed {
  const feed = createLeadEventFeed({ kv, store, log: quiet, intervalMs: 60_000 });
  feed.addSink("record", {
    prepare(_lead: Lead, events: LeadEvent[]) {
      return Promise.resolve({
        apply(op: Deno.AtomicOperation) {
          for (const event of events) {
            // A second hand-out of the same event would fail this check and the whole commit.
            op.check({ key: ["test_events", event.id], versionstamp: null })
              .set(["test_events", event.id], true);
          }
        },
        afterCommit() {
          seen.push(...events);
        },
      });
    },
  });
  return feed;
}

async function lifeOfALead(store: LeadStore): Promise<Lead> {
  const stub = testMetaLead();
  const { inserted } = await store.insertLeads([stub]);
  const id = inserted[0].id;
  await store.updateLead(id, (lead) => applyLeadDetails(lead, { fullName: "Ann Lee" }, new Date()));
  await store.updateLead(
    id,
    (lead) =>
      changeLeadOwner(lead, { id: "u1", name: "Bo" }, new Date(), { event: "claimed", by: "Bo" }),
  );
  await store.updateLead(id, (lead) => changeLeadStatus(lead, "contacted", new Date()));
  await store.updateLead(id, (lead) => changeLeadStatus(lead, "qualified", new Date()));
  return (await store.getLead(id))!;
}

Deno.test("[lead events] a lead's life becomes its events, in order, once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const seen: LeadEvent[] = [];
  const feed = recordingFeed(kv, store, seen);
  await feed.start();
  try {
    const lead = await lifeOfALead(store);
    await feed.catchUp();
    await feed.catchUp();
    assert.deepEqual(seen.map((event) => event.type), [
      "lead.created",
      "lead.details_fetched",
      "lead.assigned",
      "lead.status_changed",
      "lead.status_changed",
    ]);
    assert.ok(seen.every((event) => event.leadId === lead.id));
    assert.deepEqual(seen[2].change, { type: "lead.assigned", how: "claimed", detail: "to Bo" });
    assert.equal(seen[2].by, "Bo");
    assert.deepEqual(seen[4].change, {
      type: "lead.status_changed",
      from: "contacted",
      to: "qualified",
    });
    const ids = seen.map((event) => event.id);
    assert.deepEqual([...ids].sort(), ids, "event ids sort in the order they happened");
  } finally {
    await feed.stop();
    kv.close();
  }
});

Deno.test("[lead events] two processes following one KV hand each event out once", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const seen: LeadEvent[] = [];
  const a = recordingFeed(kv, store, seen);
  const b = recordingFeed(kv, store, seen);
  await a.start();
  await b.start();
  try {
    await Promise.all([lifeOfALead(store), lifeOfALead(store), lifeOfALead(store)]);
    await Promise.all([a.catchUp(), b.catchUp(), a.catchUp(), b.catchUp()]);
    assert.equal(seen.length, 15);
    assert.equal(new Set(seen.map((event) => event.id)).size, 15);
  } finally {
    await a.stop();
    await b.stop();
    kv.close();
  }
});

Deno.test("[lead events] what happened before the feed first ran is not news", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const old = await lifeOfALead(store);
  // History is what happened before the start: strictly earlier (a line of the start's very
  // millisecond counts as news). Every line was written by now (a line's time and the lead's
  // updatedAt come from separate clock reads, so updatedAt can be a millisecond behind it).
  const last = Date.now();
  await waitFor(() => Date.now() > last, "a millisecond after the old lead's last change");
  const seen: LeadEvent[] = [];
  const feed = recordingFeed(kv, store, seen);
  await feed.start();
  try {
    await feed.catchUp();
    assert.equal(seen.length, 0);
    // A change to the old lead after the start is news; its old lines stay history.
    await store.updateLead(old.id, (lead) => changeLeadStatus(lead, "won", new Date()));
    await feed.catchUp();
    assert.deepEqual(seen.map((event) => [event.type, event.change]), [
      ["lead.status_changed", { type: "lead.status_changed", from: "qualified", to: "won" }],
    ]);
  } finally {
    await feed.stop();
    kv.close();
  }
});

Deno.test("[lead events] the watch brings a new lead's events without a catch-up call", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const seen: LeadEvent[] = [];
  const feed = recordingFeed(kv, store, seen);
  await feed.start();
  try {
    await store.insertLeads([testMetaLead()]);
    await waitFor(() => seen.length > 0, "the new lead's event");
    assert.deepEqual(seen.map((event) => event.type), ["lead.created"]);
  } finally {
    await feed.stop();
    kv.close();
  }
});

Deno.test("[lead events] a lead erased while its events are prepared gets no cursor and no sink writes", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const feed = createLeadEventFeed({ kv, store, log: quiet, intervalMs: 60_000 });
  let prepared = 0;
  let leadId = "";
  feed.addSink("erase-meanwhile", {
    async prepare(lead: Lead) {
      prepared++;
      // An admin erases the lead between the feed's reads and its commit.
      await eraseLead(kv, store, lead.id, { reason: "erasure", defaultCountry: null });
      return {
        apply(op: Deno.AtomicOperation) {
          op.set(["test_sink_write", lead.id], lead.fullName);
        },
      };
    },
  });
  // Not started: nothing runs until catchUp (and every line is news).
  try {
    leadId = (await lifeOfALead(store)).id;
    await feed.catchUp();
    assert.equal(prepared, 1, "the sink was asked once");
    assert.equal(await store.getLead(leadId), null);
    const left = (await Array.fromAsync(kv.list({ prefix: [] })))
      .filter((entry) => JSON.stringify(entry.key).includes(leadId));
    assert.deepEqual(left.map((entry) => entry.key), [], "no cursor, no sink write");
  } finally {
    await feed.stop();
    kv.close();
  }
});

Deno.test("[lead events] with no consumer the feed does nothing per lead, and what happened meanwhile stays history", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let listening = false;
  const seen: LeadEvent[] = [];
  let prepared = 0;
  const feed = createLeadEventFeed({ kv, store, log: quiet, intervalMs: 60_000 });
  feed.addSink("switchable", {
    active: () => Promise.resolve(listening),
    prepare(_lead: Lead, events: LeadEvent[]) {
      prepared++;
      return Promise.resolve({
        apply() {},
        afterCommit() {
          seen.push(...events);
        },
      });
    },
  });
  await feed.start();
  try {
    const quietLead = await lifeOfALead(store);
    await feed.catchUp();
    assert.equal(prepared, 0, "no sink was asked");
    const cursors = await Array.fromAsync(kv.list({ prefix: ["lead_event_cursors"] }));
    assert.deepEqual(cursors, [], "and no cursor was written per lead");
    // What happens up to the millisecond the feed passed the changes by is history.
    const passedBy = Date.now();
    await waitFor(() => Date.now() > passedBy, "a millisecond after the feed passed them by");

    // A consumer comes: the quiet lead's old lines are history, its next change is news, and so
    // is all of a new lead's life.
    listening = true;
    await store.updateLead(quietLead.id, (lead) => changeLeadStatus(lead, "won", new Date()));
    const fresh = await lifeOfALead(store);
    await feed.catchUp();
    assert.deepEqual(
      seen.filter((event) => event.leadId === quietLead.id).map((event) => event.change),
      [{ type: "lead.status_changed", from: "qualified", to: "won" }],
    );
    assert.equal(seen.filter((event) => event.leadId === fresh.id).length, 5);
    // Every process reads the same: the epoch was raised in KV too.
    const epoch = (await kv.get<string>(leadEventEpochKey())).value;
    assert.ok(
      epoch && Date.parse(epoch) > Date.parse(quietLead.updatedAt),
      `the stored epoch ${epoch} moved on`,
    );
  } finally {
    await feed.stop();
    kv.close();
  }
});

Deno.test("[lead events] a burst of changes with no consumer asks the sinks about once a second, not per change", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  let asked = 0;
  const feed = createLeadEventFeed({ kv, store, log: quiet, intervalMs: 60_000 });
  feed.addSink("nobody", {
    active: () => {
      asked++;
      return Promise.resolve(false);
    },
    prepare: () => Promise.resolve(null),
  });
  await feed.start();
  try {
    const before = asked;
    for (let i = 0; i < 20; i++) {
      await store.insertLeads([testMetaLead()]);
      // Each change reaches the feed's watch before the next.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(asked - before <= 3, `asked ${asked - before} times for 20 changes`);
  } finally {
    await feed.stop();
    kv.close();
  }
});
