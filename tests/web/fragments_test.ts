import assert from "node:assert/strict";
import { h } from "preact";
import { registerIsland } from "../../lib/islands/ssr.ts";
import { fragmentResponse, liveAttributes } from "../../lib/web/fragments.ts";

Deno.test("[fragments] liveAttributes - the data-live-* contract, boost optional; durations must be whole ms", () => {
  assert.deepEqual(liveAttributes({ src: "/fragments/x", everyMs: 30_000 }), {
    "data-live-src": "/fragments/x",
    "data-live-every": "30000",
  });
  assert.deepEqual(
    liveAttributes({
      src: "/fragments/y",
      everyMs: 20_000,
      boost: { selector: '[data-action="sync"]', everyMs: 1_500, forMs: 15_000 },
    }),
    {
      "data-live-src": "/fragments/y",
      "data-live-every": "20000",
      "data-live-boost": '[data-action="sync"]',
      "data-live-boost-every": "1500",
      "data-live-boost-for": "15000",
    },
  );
  for (const everyMs of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(
      () => liveAttributes({ src: "/fragments/z", everyMs }),
      /^RangeError: Cannot make \/fragments\/z live: .* is not a number of milliseconds$/,
    );
  }
  assert.throws(
    () =>
      liveAttributes({
        src: "/fragments/z",
        everyMs: 1_000,
        boost: { selector: "button", everyMs: 500, forMs: 0 },
      }),
    RangeError,
  );
});

Deno.test("[fragments] fragmentResponse - the part alone as text/html, never stored; escaped like a page", async () => {
  function Note({ text }: { text: string }) {
    return h("p", { class: "note", ...liveAttributes({ src: "/f", everyMs: 1_000 }) }, text);
  }
  const res = fragmentResponse(Note, { text: "<b>&</b>" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(
    await res.text(),
    '<p class="note" data-live-src="/f" data-live-every="1000">&lt;b>&amp;&lt;/b></p>',
  );
  assert.equal(fragmentResponse(Note, { text: "" }, { status: 503 }).status, 503);
});

Deno.test("[fragments] fragmentResponse - refuses a part holding an island: nothing would hydrate it", () => {
  function Clicker() {
    return h("button", null, "Click");
  }
  registerIsland("Clicker", Clicker);
  function Panel() {
    return h("div", null, h(Clicker, null));
  }
  for (const component of [Clicker, Panel]) {
    assert.throws(
      () => fragmentResponse(component, {}),
      /^Error: Cannot render a fragment holding islands \(Clicker\): nothing hydrates them$/,
    );
  }
});
