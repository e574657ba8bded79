import assert from "node:assert/strict";
import { createDetailsInFlight } from "../../lib/leads/details_in_flight.ts";

Deno.test("[details in flight] settled waits for a running fetch to end, and only for a running one", async () => {
  const inFlight = createDetailsInFlight();
  assert.equal(await inFlight.settled(["nobody"], 10_000), false, "nothing runs: no wait");

  const end = inFlight.begin("lead-1");
  let settled = false;
  const waiting = inFlight.settled(["lead-1", "nobody"], 10_000).then((waited) => {
    settled = true;
    return waited;
  });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(settled, false, "still fetching");
  end("fetched");
  assert.equal(await waiting, true);
  assert.equal(await inFlight.settled(["lead-1"], 10_000), false, "ended: no wait");
});

Deno.test("[details in flight] a fetch that does not end is waited for no longer than maxMs", async () => {
  const inFlight = createDetailsInFlight();
  inFlight.begin("stuck");
  const started = performance.now();
  assert.equal(await inFlight.settled(["stuck"], 30), true);
  assert.ok(performance.now() - started < 10_000, "the wait gave up");
});

Deno.test("[details in flight] when recent fetches took longer than maxMs, nothing waits", async () => {
  let now = 0;
  const inFlight = createDetailsInFlight(() => now);
  for (let i = 0; i < 5; i++) {
    const end = inFlight.begin(`slow-${i}`);
    now += 400; // Meta took 400 ms
    end("fetched");
  }
  inFlight.begin("next");
  assert.equal(await inFlight.settled(["next"], 25), false, "a slow Meta: the stub goes at once");
  // Fetches that failed say nothing of how fast Meta answers.
  for (let i = 0; i < 20; i++) {
    const end = inFlight.begin(`failed-${i}`);
    end("not_fetched");
  }
  assert.equal(await inFlight.settled(["next"], 25), false);
  // Once Meta answers fast again, the next lead is waited for.
  for (let i = 0; i < 16; i++) {
    const end = inFlight.begin(`fast-${i}`);
    now += 3;
    end("fetched");
  }
  const end = inFlight.begin("soon");
  const waiting = inFlight.settled(["soon"], 10_000);
  end("fetched");
  assert.equal(await waiting, true);
});
