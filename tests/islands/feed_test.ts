// The dashboard's connection logic without a browser: a fake EventSource, fetch and clock drive
// islands/dashboard/feed.ts through the stream, its failures, polling and reconnects.

import assert from "node:assert/strict";
import {
  type Connection,
  type FeedOptions,
  type FeedSource,
  startFeed,
} from "../../islands/dashboard/feed.ts";
import type { Alert, LeadRow } from "../../lib/wire.ts";

/** A stream the test drives: `emit` an event, `fail` the connection. */
class FakeSource implements FeedSource {
  static opened: FakeSource[] = [];
  onerror: ((event: unknown) => void) | null = null;
  closed = false;
  readonly listeners = new Map<
    string,
    ((event: { data?: string; lastEventId?: string }) => void)[]
  >();
  constructor(readonly url: string) {
    FakeSource.opened.push(this);
  }
  addEventListener(type: string, listener: (event: { data?: string }) => void) {
    this.listeners.set(type, [...this.listeners.get(type) ?? [], listener]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown = {}, lastEventId = "") {
    for (const listener of this.listeners.get(type) ?? []) {
      listener({ data: JSON.stringify(data), lastEventId });
    }
  }
  fail() {
    this.onerror?.({});
  }
}

/** A clock whose timers run only when the test moves it on. */
class FakeClock {
  now = 0;
  private next = 1;
  private timers = new Map<number, { at: number; run: () => void }>();
  setTimeout = (run: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, run });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);
  /** Moves time on by `ms`, running each timer that comes due, in order, and its awaits. */
  async advance(ms: number) {
    const end = this.now + ms;
    while (true) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort(([, a], [, b]) =>
        a.at - b.at
      );
      if (due.length === 0) break;
      const [id, timer] = due[0];
      this.timers.delete(id);
      this.now = timer.at;
      timer.run();
      await settle();
    }
    this.now = end;
  }
  /** When the earliest timer is due, from now; null with none. */
  get nextDueIn(): number | null {
    const ats = [...this.timers.values()].map((t) => t.at);
    return ats.length ? Math.min(...ats) - this.now : null;
  }
}

/** Lets promise callbacks (the polls' fetches) run. */
async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

function row(id: string): LeadRow {
  return {
    id,
    fullName: `Lead ${id}`,
    email: null,
    phone: null,
    formName: null,
    formId: null,
    adName: null,
    campaignName: null,
    source: "meta",
    createdTime: "2026-03-02T12:00:00.000Z",
    status: "new",
    details: "fetched",
    detailsError: null,
    ownerId: null,
    ownerName: null,
    firstContactAt: null,
    callAttempts: 0,
    nextFollowUpAt: null,
    possibleDuplicateOf: null,
  };
}

/**
 * A feed over fakes; `answers` are the polls' answers in turn (an Error: the network failed);
 * `options` adds to (or overrides) the feed's options.
 */
function feedWith(
  answers: (Record<string, unknown> | Error)[] = [],
  cursor = "7",
  options: Partial<FeedOptions> = {},
) {
  FakeSource.opened = [];
  const clock = new FakeClock();
  const polls: string[] = [];
  const seen = {
    leads: [] as string[],
    resets: 0,
    alerts: [] as Alert[][],
    states: [] as Connection[],
  };
  const feed = startFeed({
    cursor,
    heartbeatMs: 1_000,
    pollMs: 3_000,
    maxBackoffMs: 8_000,
    onLead: (lead) => seen.leads.push(lead.id),
    onReset: () => seen.resets++,
    onAlerts: (alerts) => seen.alerts.push(alerts),
    onConnection: (state) => seen.states.push(state),
    runtime: {
      EventSource: FakeSource,
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
      random: () => 0.5, // no jitter: waits are exact
      fetch(url) {
        polls.push(url);
        const answer = answers.shift() ?? { changes: [], cursor: "0" };
        return answer instanceof Error
          ? Promise.reject(answer)
          : Promise.resolve(Response.json(answer));
      },
    },
    ...options,
  });
  const source = () => FakeSource.opened.at(-1)!;
  return { feed, clock, polls, seen, source };
}

const ALERT: Alert = {
  kind: "token_expired",
  pageId: "1",
  message: "Renew the token.",
  since: "2026-03-02T12:00:00.000Z",
  updatedAt: "2026-03-02T12:00:00.000Z",
};

Deno.test("[feed] the stream opens after the rendered cursor, goes live on ready, applies each change once", () => {
  const { feed, seen, source, polls } = feedWith();
  assert.equal(source().url, "/api/events?since=7");
  assert.deepEqual(seen.states, ["connecting"]);
  source().emit("ready", { cursor: "7", alerts: [ALERT] });
  assert.deepEqual(seen.states, ["connecting", "live"]);
  assert.deepEqual(seen.alerts, [[ALERT]]);
  source().emit("lead", row("a"), "8");
  source().emit("lead", row("a"), "8"); // sent again (a resumed stream): applied once
  source().emit("lead", row("old"), "5"); // before our cursor: already on the page
  source().emit("lead", row("b"), "9");
  assert.deepEqual(seen.leads, ["a", "b"]);
  assert.deepEqual(polls, [], "no polling while live");
  feed.stop();
  assert.equal(source().closed, true);
});

Deno.test("[feed] a lead's preview is applied at once and moves no cursor: its change still comes, and a reopen starts before it", () => {
  const { feed, seen, source, polls } = feedWith();
  source().emit("ready", { cursor: "7", alerts: [] });
  source().emit("lead_preview", row("a"));
  assert.deepEqual(seen.leads, ["a"], "shown before its commit");
  // The commit that stores it (seq 8) is applied as any change: the cursor did not move past it.
  source().emit("lead", row("a"), "8");
  assert.deepEqual(seen.leads, ["a", "a"]);
  source().emit("lead_preview", row("b"));
  source().fail();
  assert.equal(
    polls[0],
    "/api/leads?since=8",
    "polling starts after the last change, not the preview",
  );
  feed.stop();
});

Deno.test("[feed] without previews the stream is asked for none", () => {
  const { feed, source } = feedWith([], "3", { previews: false });
  assert.equal(source().url, "/api/events?since=3&previews=0");
  feed.stop();
});

Deno.test("[feed] a failed stream falls back to polling at once and every pollMs, reopening with backoff", async () => {
  const { feed, clock, seen, source, polls } = feedWith([
    { changes: [{ seq: 8, kind: "created", lead: row("a") }], cursor: "8", alerts: [] },
    { changes: [], cursor: "8" },
    { changes: [], cursor: "8" },
  ]);
  source().emit("ready", { cursor: "7", alerts: [] });
  const first = source();
  first.fail();
  await settle();
  assert.equal(first.closed, true);
  assert.deepEqual(seen.states, ["connecting", "live", "polling"]);
  assert.deepEqual(polls, ["/api/leads?since=7"], "a poll at once");
  assert.deepEqual(seen.leads, ["a"]);

  // Reopens after 1 s (0.75 + 0.5 × 0.5 of the first backoff); the stream fails again.
  await clock.advance(999);
  assert.equal(FakeSource.opened.length, 1);
  await clock.advance(1);
  assert.equal(FakeSource.opened.length, 2);
  assert.equal(source().url, "/api/events?since=8", "from the cursor polling reached");
  source().fail();
  // The next reopen waits twice as long; polling goes on every 3 s meanwhile.
  assert.equal(clock.nextDueIn, 2_000);
  await clock.advance(2_000);
  assert.equal(FakeSource.opened.length, 3);
  await clock.advance(1_000);
  assert.deepEqual(polls, ["/api/leads?since=7", "/api/leads?since=8"], "every pollMs");

  // Back: ready stops polling and resets the backoff.
  source().emit("ready", { cursor: "8", alerts: [] });
  assert.equal(seen.states.at(-1), "live");
  await clock.advance(2_500);
  source().emit("heartbeat");
  await clock.advance(2_500);
  assert.equal(polls.length, 2, "no poll once live again");
  source().fail();
  await settle();
  assert.equal(polls.length, 3, "a poll at once");
  assert.equal(clock.nextDueIn, 1_000, "the backoff starts again at 1 s");
  feed.stop();
});

Deno.test("[feed] backoff doubles up to maxBackoffMs", async () => {
  const { feed, clock, source } = feedWith();
  for (const wait of [1_000, 2_000, 4_000, 8_000, 8_000]) {
    const opened = FakeSource.opened.length;
    source().fail();
    await clock.advance(wait - 1);
    assert.equal(FakeSource.opened.length, opened, `not reopened before ${wait} ms`);
    await clock.advance(1);
    assert.equal(FakeSource.opened.length, opened + 1, `reopened after ${wait} ms`);
  }
  feed.stop();
});

Deno.test("[feed] a stream silent for two heartbeats counts as dead", async () => {
  const { feed, clock, seen, source } = feedWith();
  source().emit("ready", { cursor: "7", alerts: [] });
  await clock.advance(2_000);
  source().emit("heartbeat");
  await clock.advance(2_999);
  assert.equal(seen.states.at(-1), "live", "a heartbeat keeps it alive");
  await clock.advance(1);
  assert.equal(seen.states.at(-1), "polling");
  assert.equal(source().closed, true);
  feed.stop();
});

Deno.test("[feed] polling: a reset reloads the list, a full page asks again, a failure shows offline", async () => {
  const full = Array.from({ length: 500 }, (_, i) => ({
    seq: 8 + i,
    kind: "created",
    lead: row(`l${i}`),
  }));
  const { feed, clock, seen, source, polls } = feedWith([
    { changes: full, cursor: "507" },
    { changes: [], cursor: "507" },
    new Error("offline"),
    { changes: [], cursor: "900", reset: true },
  ]);
  source().fail();
  await settle();
  assert.deepEqual(polls, ["/api/leads?since=7", "/api/leads?since=507"], "a full page: more");
  assert.equal(seen.leads.length, 500);
  await clock.advance(3_000);
  assert.equal(seen.states.at(-1), "offline");
  await clock.advance(3_000);
  assert.equal(seen.resets, 1);
  assert.equal(seen.states.at(-1), "polling");
  feed.stop();
  const after = polls.length;
  await clock.advance(60_000);
  assert.equal(polls.length, after, "stop ends polling");
  assert.equal(FakeSource.opened.filter((s) => !s.closed).length, 0, "and the stream");
});

Deno.test("[feed] replaced by another tab or told of a shutdown, it polls and reopens later", async () => {
  const { feed, clock, seen, source } = feedWith();
  source().emit("ready", { cursor: "7", alerts: [] });
  source().emit("replaced");
  assert.equal(seen.states.at(-1), "polling");
  await clock.advance(59_999);
  assert.equal(FakeSource.opened.length, 1, "the other tab keeps the slot for a minute");
  await clock.advance(1);
  assert.equal(FakeSource.opened.length, 2);
  source().emit("ready", { cursor: "7", alerts: [] });
  source().emit("shutdown");
  assert.equal(seen.states.at(-1), "polling", "a shutdown falls back at once");
  feed.stop();
});

Deno.test("[feed] pollNow asks for the changes at once, whatever the stream's state", async () => {
  const { feed, source, polls, seen } = feedWith([
    { changes: [{ seq: 8, kind: "created", lead: row("synced") }], cursor: "8", alerts: [ALERT] },
  ]);
  source().emit("ready", { cursor: "7", alerts: [] });
  await feed.pollNow();
  assert.deepEqual(polls, ["/api/leads?since=7"]);
  assert.deepEqual(seen.leads, ["synced"]);
  assert.deepEqual(seen.alerts.at(-1), [ALERT]);
  feed.stop();
});
