import assert from "node:assert/strict";
import { waitFor } from "../_helpers/wait.ts";
import { testMetaLead } from "../_helpers/leads.ts";
import { createAlertStore } from "../../lib/alerts.ts";
import {
  createLiveHub,
  type LiveEvent,
  LiveHubFullError,
  LiveHubStoppedError,
  type LiveSubscription,
} from "../../lib/leads/live.ts";
import type { Lead } from "../../lib/leads/model.ts";
import { createDetailsInFlight, type DetailsInFlight } from "../../lib/leads/details_in_flight.ts";
import { leadChangesHeadKey } from "../../lib/leads/keys.ts";
import { createLeadStore, type LeadStore } from "../../lib/leads/store.ts";

async function insert(store: LeadStore, count: number): Promise<Lead[]> {
  const leads: Lead[] = [];
  for (let i = 0; i < count; i++) {
    const lead = testMetaLead();
    await store.insertLeads([lead]);
    leads.push(lead);
  }
  return leads;
}

/** Reads `count` events (never "idle": no idle timeout is given). */
async function take(sub: LiveSubscription, count: number): Promise<LiveEvent[]> {
  const events: LiveEvent[] = [];
  while (events.length < count) {
    const event = await sub.next();
    assert.ok(event !== null && event !== "idle", `subscription ended after ${events.length}`);
    events.push(event);
  }
  return events;
}

/** Starts `sub` listening; the events it is handed, as they come. */
async function listening(sub: LiveSubscription): Promise<LiveEvent[]> {
  const got: LiveEvent[] = [];
  await sub.listen((event) => got.push(event) > 0);
  return got;
}

function seqs(events: LiveEvent[]): number[] {
  return events.map((e) => e.type === "change" ? e.change.seq : e.type === "reset" ? -e.head : NaN);
}

async function withHub(
  fn: (ctx: { kv: Deno.Kv; store: LeadStore; hub: ReturnType<typeof createLiveHub> }) => Promise<
    void
  >,
  options: Parameters<typeof createLiveHub>[2] = {},
) {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const hub = createLiveHub(kv, store, options);
  try {
    await fn({ kv, store, hub });
  } finally {
    await hub.stop();
    kv.close();
  }
}

Deno.test("[live] one watch fans every change out to many subscribers, in order", async () => {
  await withHub(async ({ store, hub }) => {
    await insert(store, 2); // before anyone listens: not delivered to "from now" subscribers
    const subs = await Promise.all(Array.from({ length: 50 }, () => hub.subscribe()));
    assert.equal(hub.size, 50);
    const leads = await insert(store, 5);
    for (const sub of subs) {
      const events = await take(sub, 5);
      assert.deepEqual(seqs(events), [3, 4, 5, 6, 7]);
      assert.deepEqual(
        events.map((e) => e.type === "change" ? e.change.lead.id : null),
        leads.map((l) => l.id),
      );
      assert.equal(sub.cursor, 7);
    }
  });
});

Deno.test("[live] a subscriber given a cursor catches up from the store, then gets live changes", async () => {
  await withHub(async ({ store, hub }) => {
    await hub.start();
    await insert(store, 6);
    const sub = await hub.subscribe({ since: 2 });
    assert.deepEqual(seqs(await take(sub, 4)), [3, 4, 5, 6]);
    await insert(store, 2);
    assert.deepEqual(seqs(await take(sub, 2)), [7, 8]);
    // An update shows up as a change of the same lead with its new state.
    const [first] = (await store.listChangesSince(0, 1)).changes;
    await store.updateLead(first.lead.id, (lead) => ({ ...lead, status: "contacted" }));
    const [updated] = await take(sub, 1);
    assert.equal(updated.type, "change");
    if (updated.type === "change") {
      assert.equal(updated.change.kind, "updated");
      assert.equal(updated.change.lead.status, "contacted");
      assert.equal(updated.change.seq, 9);
    }
  });
});

Deno.test("[live] changes committed while a subscriber catches up arrive once, in order", async () => {
  await withHub(async ({ store, hub }) => {
    await hub.start();
    await insert(store, 30);
    const sub = await hub.subscribe({ since: 0 });
    const reading = take(sub, 60);
    await insert(store, 30);
    assert.deepEqual(seqs(await reading), Array.from({ length: 60 }, (_, i) => i + 1));
  }, { pageSize: 7 });
});

Deno.test("[live] a stalled subscriber is dropped without holding back the others", async () => {
  await withHub(async ({ store, hub }) => {
    const closed: string[] = [];
    const stalled = await hub.subscribe({ onClose: (reason) => closed.push(reason) });
    const reader = await hub.subscribe();
    const reading = take(reader, 12);
    await insert(store, 12);
    assert.deepEqual(seqs(await reading), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.deepEqual(closed, ["overflow"]);
    assert.equal(stalled.closedReason, "overflow");
    assert.equal(await stalled.next(), null, "a dropped subscriber gets nothing more");
    assert.equal(hub.size, 1);
    // It resumes by cursor and misses nothing.
    const resumed = await hub.subscribe({ since: stalled.cursor });
    assert.deepEqual(seqs(await take(resumed, 12)), Array.from({ length: 12 }, (_, i) => i + 1));
    // The hub reads at most two changes per store call, so a reader that keeps up never holds 4.
  }, { bufferSize: 4, pageSize: 2 });
});

Deno.test("[live] the cap on subscribers refuses one more until a slot frees", async () => {
  await withHub(async ({ hub }) => {
    const a = await hub.subscribe();
    await hub.subscribe();
    await assert.rejects(() => hub.subscribe(), LiveHubFullError);
    a.close();
    assert.equal(a.closedReason, "closed");
    await hub.subscribe();
    assert.equal(hub.size, 2);
  }, { maxSubscribers: 2 });
});

Deno.test("[live] next() reports idle time so callers can send heartbeats", async () => {
  await withHub(async ({ store, hub }) => {
    const sub = await hub.subscribe();
    assert.equal(await sub.next(10), "idle");
    await insert(store, 1);
    const event = await sub.next(60_000);
    assert.ok(event !== null && event !== "idle" && event.type === "change");
  });
});

Deno.test("[live] stop() ends every subscription with 'shutdown' and cancels the watch", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = createLeadStore(kv);
  const hub = createLiveHub(kv, store);
  const reasons: string[] = [];
  const subs = await Promise.all(
    [1, 2, 3].map(() => hub.subscribe({ onClose: (reason) => reasons.push(reason) })),
  );
  const waiting = subs.map((sub) => sub.next());
  await hub.stop();
  assert.deepEqual(await Promise.all(waiting), [null, null, null]);
  assert.deepEqual(reasons, ["shutdown", "shutdown", "shutdown"]);
  assert.equal(hub.size, 0);
  await assert.rejects(() => hub.subscribe(), LiveHubStoppedError);
  await hub.stop(); // idempotent
  kv.close();
  // The sanitizers fail this test if the watch or a timer were left running.
});

/** `kv` with its `watch` calls recorded (the hub must open one watch for leads and alerts). */
function recordWatches(kv: Deno.Kv): { kv: Deno.Kv; watched: Deno.KvKey[][] } {
  const watched: Deno.KvKey[][] = [];
  const proxy = new Proxy(kv, {
    get(target, prop) {
      if (prop === "watch") {
        return (keys: Deno.KvKey[]) => {
          watched.push(keys);
          return target.watch(keys);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: proxy, watched };
}

Deno.test("[live] raising and clearing an alert reaches every subscriber through the same watch", async () => {
  const kv = await Deno.openKv(":memory:");
  const recorded = recordWatches(kv);
  const store = createLeadStore(kv);
  const alerts = createAlertStore(kv);
  await alerts.setAlert({ kind: "permission_denied", pageId: "222", message: "Grant it." });
  const hub = createLiveHub(recorded.kv, store);
  try {
    await hub.start();
    assert.deepEqual(hub.alerts.map((a) => a.pageId), ["222"], "a new stream's first paint");
    const subs = [await hub.subscribe(), await hub.subscribe()];
    await alerts.setAlert({ kind: "token_expired", pageId: "111", message: "Renew the token." });
    for (const sub of subs) {
      const [event] = await take(sub, 1);
      assert.equal(event.type, "alerts");
      assert.deepEqual(
        event.type === "alerts" ? event.alerts.map((a) => [a.kind, a.pageId, a.message]) : null,
        [["permission_denied", "222", "Grant it."], ["token_expired", "111", "Renew the token."]],
      );
      assert.equal(sub.cursor, 0, "alerts move no change cursor");
    }
    // A lead change and a clear: both arrive; the lead keeps its seq.
    const [lead] = await insert(store, 1);
    await alerts.clearPageAlerts("111");
    for (const sub of subs) {
      const events = await take(sub, 2);
      const change = events.find((e) => e.type === "change");
      assert.equal(change?.type === "change" ? change.change.lead.id : null, lead.id);
      const cleared = events.find((e) => e.type === "alerts");
      assert.deepEqual(
        cleared?.type === "alerts" ? cleared.alerts.map((a) => a.pageId) : null,
        ["222"],
      );
    }
    assert.deepEqual(hub.alerts.map((a) => a.pageId), ["222"]);
    assert.deepEqual(recorded.watched, [[["lead_changes_head"], ["alerts_head"]]], "one watch");
  } finally {
    await hub.stop();
    kv.close();
  }
});

Deno.test("[live] a subscriber that has not read keeps only the newest alert list", async () => {
  await withHub(async ({ kv, hub }) => {
    const alerts = createAlertStore(kv);
    const sub = await hub.subscribe();
    for (const pageId of ["1", "2", "3"]) {
      await alerts.setAlert({ kind: "token_expired", pageId, message: "Renew." });
      // Let the hub see each commit on its own before the next one.
      await waitFor(() => hub.alerts.length >= Number(pageId), `the hub to see alert ${pageId}`);
    }
    assert.equal(hub.alerts.length, 3);
    const event = await sub.next(0);
    assert.deepEqual(
      event !== null && event !== "idle" && event.type === "alerts"
        ? event.alerts.map((a) => a.pageId)
        : event,
      ["1", "2", "3"],
    );
    assert.equal(await sub.next(20), "idle", "the older lists were dropped");
  });
});

Deno.test("[live] one owner past its limit makes way: its oldest subscription closes as replaced", async () => {
  await withHub(async ({ store, hub }) => {
    const first = await hub.subscribe({ owner: "session-a" });
    const second = await hub.subscribe({ owner: "session-a" });
    const other = await hub.subscribe({ owner: "session-b" });
    const third = await hub.subscribe({ owner: "session-a" });
    assert.equal(first.closedReason, "replaced");
    assert.equal(await first.next(), null);
    assert.equal(second.closedReason, null);
    assert.equal(hub.size, 3);
    // Making way happens before the cap is checked: a full hub still takes the owner's new one.
    const fourth = await hub.subscribe({ owner: "session-b" });
    await assert.rejects(() => hub.subscribe({ owner: "session-c" }), LiveHubFullError);
    await insert(store, 1);
    for (const sub of [second, third, other, fourth]) {
      assert.deepEqual(seqs(await take(sub, 1)), [1]);
    }
  }, { maxPerOwner: 2, maxSubscribers: 4 });
});

Deno.test("[live] a revocation closes the ended owners' subscriptions before any later change reaches them", async () => {
  const ended = new Set<string>();
  const checked: string[][] = [];
  await withHub(async ({ kv, store, hub }) => {
    const revoked = await hub.subscribe({ owner: "gone" });
    const kept = await hub.subscribe({ owner: "still-here" });
    const anonymous = await hub.subscribe();
    ended.add("gone");
    await kv.atomic().sum(["revocations"], 1n).commit();
    await insert(store, 1);
    assert.equal(await revoked.next(), null, "not even the change committed after it");
    assert.equal(revoked.closedReason, "revoked");
    assert.deepEqual(seqs(await take(kept, 1)), [1]);
    assert.deepEqual(seqs(await take(anonymous, 1)), [1]);
    assert.deepEqual(checked.at(-1)?.sort(), ["gone", "still-here"]);
  }, {
    revocationKey: ["revocations"],
    checkOwners: (owners) => {
      checked.push(owners);
      return Promise.resolve(owners.filter((owner) => ended.has(owner)));
    },
  });
});

Deno.test("[live] owners are checked again every recheckMs, so an expired one ends without a revocation", async () => {
  const ended = new Set<string>();
  await withHub(async ({ hub }) => {
    const expiring = await hub.subscribe({ owner: "expiring" });
    const kept = await hub.subscribe({ owner: "kept" });
    ended.add("expiring");
    assert.equal(await expiring.next(), null);
    assert.equal(expiring.closedReason, "revoked");
    assert.equal(kept.closedReason, null);
  }, {
    recheckMs: 20,
    checkOwners: (owners) => Promise.resolve(owners.filter((owner) => ended.has(owner))),
  });
});

Deno.test("[live] a cursor past the store's head gets a reset to the head first, then live changes", async () => {
  await withHub(async ({ store, hub }) => {
    await insert(store, 2);
    const sub = await hub.subscribe({ since: 1000 });
    assert.equal(sub.cursor, 1000, "until the reset is handed out");
    const [reset] = await take(sub, 1);
    assert.deepEqual(reset, { type: "reset", head: 2 });
    await insert(store, 1);
    assert.deepEqual(seqs(await take(sub, 1)), [3]);
  });
});

Deno.test("[live] a store whose head went back (a backup restored under the server) resets every subscriber", async () => {
  await withHub(async ({ kv, store, hub }) => {
    const sub = await hub.subscribe();
    await insert(store, 3);
    assert.deepEqual(seqs(await take(sub, 3)), [1, 2, 3]);
    // The restored store is at seq 1: its next change is 2 again, which the cursor 3 would skip.
    await kv.set(leadChangesHeadKey(), 1);
    const [reset] = await take(sub, 1);
    assert.deepEqual(reset, { type: "reset", head: 1 });
    await insert(store, 1);
    assert.deepEqual(seqs(await take(sub, 1)), [2]);
  });
});

Deno.test("[live] listen() catches up from the store, then hands every listener the same event object, in order", async () => {
  await withHub(async ({ store, hub }) => {
    await insert(store, 3);
    const got: LiveEvent[][] = [[], [], []];
    // One listener from seq 1 (catches up 2 and 3 from the store), two from now.
    const subs = [
      await hub.subscribe({ since: 1 }),
      await hub.subscribe(),
      await hub.subscribe(),
    ];
    await Promise.all(subs.map((sub, i) => sub.listen((event) => got[i].push(event) > 0)));
    const leads = await insert(store, 4);
    await waitFor(
      () => got.every((events, i) => events.length === (i === 0 ? 6 : 4)),
      "every change",
    );
    assert.deepEqual(seqs(got[0]), [2, 3, 4, 5, 6, 7]);
    assert.deepEqual(seqs(got[1]), [4, 5, 6, 7]);
    for (let k = 0; k < 4; k++) {
      assert.equal(got[1][k], got[2][k], "the same object for every listener");
      assert.equal(got[0][k + 2], got[1][k]);
    }
    assert.deepEqual(
      got[1].map((e) => e.type === "change" ? e.change.lead.id : null),
      leads.map((l) => l.id),
    );
    assert.equal(subs[0].cursor, 7);
  });
});

Deno.test("[live] a listener that refuses an event is dropped as overflow; the others go on", async () => {
  await withHub(async ({ store, hub }) => {
    const reasons: string[] = [];
    const full = await hub.subscribe({ onClose: (reason) => reasons.push(reason) });
    const fine = await hub.subscribe();
    await full.listen(() => false);
    const got = await listening(fine);
    await insert(store, 2);
    await waitFor(() => got.length === 2, "both changes on the reading listener");
    assert.deepEqual(reasons, ["overflow"]);
    assert.equal(full.closedReason, "overflow");
    assert.equal(hub.size, 1);
  });
});

/** A tracker that records each wait the hub asks of it. */
function recordingInFlight() {
  const inner = createDetailsInFlight();
  const waits: string[][] = [];
  const inFlight: DetailsInFlight = {
    begin: (id) => inner.begin(id),
    settled(ids, maxMs) {
      waits.push(ids);
      return inner.settled(ids, maxMs);
    },
  };
  return { inFlight, waits };
}

const fetched = (lead: Lead): Lead => ({ ...lead, fullName: "Nora Name", details: "fetched" });

/** A subscriber, then a new lead stored while its fetch runs here; `end` ends the fetch. */
async function storeWhileFetching(
  store: LeadStore,
  hub: ReturnType<typeof createLiveHub>,
  inFlight: DetailsInFlight,
) {
  await hub.start();
  const sub = await hub.subscribe();
  const lead = testMetaLead();
  const end = inFlight.begin(lead.id);
  await store.insertLeads([lead]);
  return { sub, lead, end };
}

Deno.test("[live] a new lead whose details are being fetched reaches subscribers once, with them", async () => {
  const { inFlight, waits } = recordingInFlight();
  await withHub(async ({ store, hub }) => {
    const { sub, lead, end } = await storeWhileFetching(store, hub, inFlight);
    // The hub has read the stub and waits for the fetch; the answers are stored, the fetch ends.
    await waitFor(() => waits.length > 0, "the hub to wait for the fetch");
    await store.updateLead(lead.id, fetched);
    end("fetched");
    const [first] = await take(sub, 1);
    assert.equal(first.type, "change");
    if (first.type !== "change") return;
    assert.equal(first.change.lead.id, lead.id);
    assert.equal(first.change.lead.details, "fetched", "the stub was not sent first");
    assert.equal(first.change.lead.fullName, "Nora Name");
    assert.equal(first.change.seq, 2, "the cursor moves past the stub's change");
    assert.equal(await sub.next(50), "idle", "nothing more: the stub is not sent after it");
  }, { detailsInFlight: inFlight, holdMs: 10_000 });
});

Deno.test("[live] a fetch that takes longer than holdMs does not hold the stub back longer", async () => {
  const { inFlight } = recordingInFlight();
  await withHub(async ({ store, hub }) => {
    const { sub, lead, end } = await storeWhileFetching(store, hub, inFlight);
    const [stub] = await take(sub, 1);
    assert.equal(stub.type === "change" && stub.change.lead.details, "pending");
    await store.updateLead(lead.id, fetched);
    end("fetched");
    const [named] = await take(sub, 1);
    assert.equal(named.type === "change" && named.change.lead.fullName, "Nora Name");
  }, { detailsInFlight: inFlight, holdMs: 30 });
});

Deno.test("[live] a lead changed several times before it is read goes out once, as it is now", async () => {
  await withHub(async ({ store, hub }) => {
    const [lead, other] = await insert(store, 2);
    await store.updateLead(lead.id, fetched);
    await store.updateLead(lead.id, (current) => ({ ...current, status: "contacted" }));
    // Catching up from the start: the lead's three changes, the other's one, in seq order.
    const sub = await hub.subscribe({ since: 0 });
    const events = await take(sub, 2);
    assert.deepEqual(seqs(events), [2, 4]);
    const leads = events.map((e) => e.type === "change" ? e.change.lead : null);
    assert.equal(leads[0]?.id, other.id);
    assert.equal(leads[1]?.id, lead.id);
    assert.equal(leads[1]?.status, "contacted");
    assert.equal(leads[1]?.fullName, "Nora Name");
    assert.equal(sub.cursor, 4);
  });
});

Deno.test("[live] a preview reaches caught-up listeners while its commit runs; the change that stores it goes only to listeners that did not have it", async () => {
  await withHub(async ({ store, hub }) => {
    const [lead] = await insert(store, 1);
    const early = await hub.subscribe();
    const got = await listening(early);
    // Subscribed but not yet listening when the preview goes out: it gets the stored change.
    const late = await hub.subscribe();
    let committed = false;
    const shownBeforeCommitted: boolean[] = [];
    const update = store.updateLead(lead.id, fetched, {
      onCommitStarted(named) {
        hub.preview(named);
        shownBeforeCommitted.push(got.length === 1 && !committed);
      },
    });
    await update.then(() => committed = true);
    assert.deepEqual(
      shownBeforeCommitted,
      [true],
      "handed over at once, before the commit was done",
    );
    assert.equal(got[0].type, "preview");
    if (got[0].type !== "preview") return;
    assert.equal(got[0].lead.fullName, "Nora Name");
    assert.equal(early.cursor, 1, "a preview moves no cursor");

    const lateGot = await listening(late);
    await waitFor(() => lateGot.length === 1, "the stored change on the late listener");
    assert.deepEqual(seqs(lateGot), [2]);
    assert.equal(lateGot[0].type === "change" && lateGot[0].change.lead.fullName, "Nora Name");
    // Both are fanned out by the same call: the early listener has long been passed over.
    assert.deepEqual(got.map((event) => event.type), ["preview"], "not sent what it was shown");

    // A later change of the lead goes to everyone.
    await store.updateLead(lead.id, (current) => ({ ...current, status: "contacted" }));
    await waitFor(() => got.length === 2 && lateGot.length === 2, "the next change on both");
    assert.deepEqual(seqs(got.slice(1)), [3]);
    assert.deepEqual(seqs(lateGot), [2, 3]);
  });
});

Deno.test("[live] a stub that reaches the hub after its lead's preview is not sent to the listeners that had the preview", async () => {
  await withHub(async ({ store, hub }) => {
    await hub.start();
    const shown = await hub.subscribe();
    const got = await listening(shown);
    const lead = testMetaLead();
    // The answers were shown before the stub's change came through (its hold ran out).
    const later = new Date(Date.parse(lead.updatedAt) + 1_000).toISOString();
    hub.preview({ ...fetched(lead), updatedAt: later });
    const joined = await hub.subscribe();
    const joinedGot = await listening(joined);
    await store.insertLeads([lead]);
    await waitFor(() => joinedGot.length === 1, "the stub on the listener that joined after");
    assert.equal(joinedGot[0].type === "change" && joinedGot[0].change.lead.details, "pending");
    assert.deepEqual(got.map((event) => event.type), ["preview"], "no stub after the name");
    // The change that stores the answers says more than the preview (another updatedAt): it goes
    // to both.
    await store.updateLead(lead.id, fetched);
    await waitFor(() => got.length === 2 && joinedGot.length === 2, "the stored answers on both");
    assert.deepEqual(seqs(got.slice(1)), [2]);
  });
});

Deno.test("[live] a subscriber that takes no previews gets no preview, and every change as stored", async () => {
  await withHub(async ({ store, hub }) => {
    const [lead] = await insert(store, 1);
    const plain = await hub.subscribe({ previews: false });
    const got = await listening(plain);
    await store.updateLead(lead.id, fetched, { onCommitStarted: (named) => hub.preview(named) });
    await waitFor(() => got.length === 1, "the stored change");
    assert.deepEqual(seqs(got), [2]);
    assert.equal(got[0].type === "change" && got[0].change.lead.fullName, "Nora Name");
  });
});
