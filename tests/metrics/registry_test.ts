import assert from "node:assert/strict";
import { createRegistry, PROMETHEUS_CONTENT_TYPE } from "../../lib/metrics/registry.ts";
import { parseExposition } from "../_helpers/prometheus.ts";

Deno.test("[metrics] a registry renders counters, gauges and histograms a strict parser reads back", () => {
  const registry = createRegistry();
  const deliveries = registry.counter({
    name: "test_deliveries_total",
    help: "Deliveries by outcome.",
    labelNames: ["outcome"],
  });
  registry.counter({ name: "test_plain_total", help: "No labels." });
  const streams = registry.gauge({ name: "test_streams", help: "Open streams." });
  const latency = registry.histogram({
    name: "test_latency_seconds",
    help: "Latency.",
    labelNames: ["endpoint"],
    buckets: [0.01, 0.1, 1],
  });
  deliveries.inc({ outcome: "ok" });
  deliveries.inc({ outcome: "ok" }, 2);
  deliveries.inc({ outcome: "bad_signature" });
  deliveries.inc({ outcome: "ok" }, -5); // counters never go down
  streams.set(3);
  streams.dec();
  for (const value of [0.005, 0.01, 0.05, 0.5, 7]) latency.observe(value, { endpoint: "lead" });
  latency.observe(NaN, { endpoint: "lead" }); // ignored

  const text = registry.render();
  const parsed = parseExposition(text);
  assert.equal(PROMETHEUS_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(parsed.families.get("test_deliveries_total")?.type, "counter");
  assert.equal(parsed.families.get("test_deliveries_total")?.help, "Deliveries by outcome.");
  assert.equal(parsed.value("test_deliveries_total", { outcome: "ok" }), 3);
  assert.equal(parsed.value("test_deliveries_total", { outcome: "bad_signature" }), 1);
  assert.equal(parsed.value("test_plain_total"), 0, "an unlabelled metric shows 0 before use");
  assert.equal(parsed.value("test_streams"), 2);
  const bucket = (le: string) =>
    parsed.value("test_latency_seconds_bucket", { endpoint: "lead", le });
  assert.equal(bucket("0.01"), 2, "a value on a bound counts in that bucket");
  assert.equal(bucket("0.1"), 3);
  assert.equal(bucket("1"), 4);
  assert.equal(bucket("+Inf"), 5);
  assert.equal(parsed.value("test_latency_seconds_count", { endpoint: "lead" }), 5);
  assert.ok(
    Math.abs(parsed.value("test_latency_seconds_sum", { endpoint: "lead" })! - 7.565) < 1e-9,
  );
  assert.match(
    text,
    /^# HELP test_deliveries_total Deliveries by outcome\.\n# TYPE test_deliveries_total counter\n/,
  );
});

Deno.test("[metrics] label values and help text are escaped", () => {
  const registry = createRegistry();
  const counter = registry.counter({
    name: "test_escapes_total",
    help: "A help with a \\ backslash\nand a second line.",
    labelNames: ["value"],
  });
  const nasty = 'quote " backslash \\ newline \n end';
  counter.inc({ value: nasty });
  const text = registry.render();
  assert.ok(text.includes('value="quote \\" backslash \\\\ newline \\n end"'), text);
  const parsed = parseExposition(text);
  assert.equal(parsed.value("test_escapes_total", { value: nasty }), 1);
  assert.equal(
    parsed.families.get("test_escapes_total")?.help,
    "A help with a \\ backslash\nand a second line.",
  );
});

Deno.test("[metrics] bad declarations throw; recording never does", () => {
  const registry = createRegistry({ maxSeriesPerMetric: 2 });
  assert.throws(() => registry.counter({ name: "1bad", help: "x" }), /not a valid metric name/);
  assert.throws(
    () => registry.counter({ name: "ok_total", help: "x", labelNames: ["__reserved"] }),
    /bad label name/,
  );
  assert.throws(
    () => registry.histogram({ name: "h", help: "x", labelNames: ["le"], buckets: [1] }),
    /"le" is reserved/,
  );
  assert.throws(
    () => registry.histogram({ name: "h2", help: "x", buckets: [1, 1] }),
    /increasing/,
  );
  const counter = registry.counter({ name: "capped_total", help: "x", labelNames: ["id"] });
  assert.throws(() => registry.counter({ name: "capped_total", help: "x" }), /declared already/);
  counter.inc({ id: "a" });
  counter.inc({ id: "b" });
  counter.inc({ id: "c" }); // past the cap: left out
  counter.inc({ id: "a" });
  counter.inc({ other: "x" } as never); // an unknown label is dropped: id="" is a new series, left out
  const parsed = parseExposition(registry.render());
  assert.equal(parsed.value("capped_total", { id: "a" }), 2);
  assert.equal(parsed.value("capped_total", { id: "b" }), 1);
  assert.equal(parsed.value("capped_total", { id: "c" }), undefined);
  assert.equal(parsed.families.get("capped_total")?.samples.length, 2);
});

Deno.test("[metrics] the test parser refuses what a scraper could misread", () => {
  const ok = "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n";
  assert.equal(parseExposition(ok).value("a_total"), 1);
  const bad: [string, RegExp][] = [
    ["# HELP a_total A.\n# TYPE a_total counter\na_total 1", /line feed/],
    ["a_total 1\n", /before its family/],
    ["# TYPE a_total counter\na_total 1\n", /without its HELP/],
    ["# HELP a_total A.\n# TYPE a_total counter\n\na_total 1\n", /neither/],
    ["# HELP a_total A.\n# TYPE a_total counter\nb_total 1\n", /outside family/],
    ['# HELP a_total A.\n# TYPE a_total counter\na_total{x="\\t"} 1\n', /bad label list/],
    ["# HELP a_total A.\n# TYPE a_total counter\na_total -1\n", /negative/],
    ["# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n", /repeated/],
    [
      '# HELP h A.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\n' +
      'h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      /not cumulative/,
    ],
    ['# HELP h A.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n', /\+Inf/],
    ['# HELP h A.\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\n', /no _sum/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExposition(text), why, text);
});
