// A small metrics registry: counters, gauges and fixed-bucket histograms, rendered in Prometheus'
// text exposition format 0.0.4.

/** Label values of one series, by label name. Never put personal data or secrets in them. */
export type Labels = Record<string, string | number>;

/** What every metric is declared with. */
export interface MetricOptions {
  /** E.g. `leadline_webhook_deliveries_total`: letters, digits, `_` and `:`, not a digit first. */
  name: string;
  /** One line saying what it counts, shown as `# HELP`. */
  help: string;
  /** The label names every series of the metric carries, in this order. */
  labelNames?: readonly string[];
}

/** A histogram's declaration: its bucket upper bounds (`+Inf` is added). */
export interface HistogramOptions extends MetricOptions {
  /** Strictly increasing finite upper bounds, e.g. seconds `[0.005, 0.01, 0.025, ...]`. */
  buckets: readonly number[];
}

/** A value that only goes up (resets with the process). */
export interface Counter {
  /** Adds `value` (default 1) to the series of `labels`; a negative or non-finite value is ignored. */
  inc(labels?: Labels, value?: number): void;
  /** The series' current value (0 when it has none yet). */
  get(labels?: Labels): number;
}

/** A value that goes up and down. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, value?: number): void;
  dec(labels?: Labels, value?: number): void;
  /** The series' current value (0 when it has none yet). */
  get(labels?: Labels): number;
}

/** Observations counted into fixed buckets, with their sum and count. */
export interface Histogram {
  /** Counts `value` in every bucket whose bound is at least it; a non-finite value is ignored. */
  observe(value: number, labels?: Labels): void;
  /** The series' observation count and sum. */
  get(labels?: Labels): { count: number; sum: number };
}

/** A set of metrics that renders them all as one exposition. */
export interface MetricsRegistry {
  counter(options: MetricOptions): Counter;
  gauge(options: MetricOptions): Gauge;
  histogram(options: HistogramOptions): Histogram;
  /** Every metric in the Prometheus text format 0.0.4 (HELP, TYPE, then its samples). */
  render(): string;
}

/** Options of {@linkcode createRegistry}. */
export interface RegistryOptions {
  /**
   * Series one metric may hold (default 1,000). Label values come from a fixed set in code, but a
   * bug that labels with something unbounded must not grow the process's memory without end: past
   * the cap, new series are left out (existing ones keep counting).
   */
  maxSeriesPerMetric?: number;
}

/** The `Content-Type` of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Kind = "counter" | "gauge" | "histogram";

interface Series {
  labels: string[];
  value: number;
  /** Histograms: observations per bucket (not cumulative), `+Inf` last. */
  buckets?: number[];
  sum?: number;
}

interface Metric {
  kind: Kind;
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  series: Map<string, Series>;
}

/** Makes an empty registry. Names are checked when a metric is declared, never when it records. */
export function createRegistry(options: RegistryOptions = {}): MetricsRegistry {
  const maxSeries = options.maxSeriesPerMetric ?? 1000;
  const metrics = new Map<string, Metric>();

  function declare(kind: Kind, options: MetricOptions, buckets: readonly number[] = []): Metric {
    const labelNames = options.labelNames ?? [];
    if (!METRIC_NAME.test(options.name)) {
      throw new TypeError(`Cannot declare metric "${options.name}": not a valid metric name`);
    }
    if (metrics.has(options.name)) {
      throw new TypeError(`Cannot declare metric "${options.name}": it is declared already`);
    }
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__")) {
        throw new TypeError(`Cannot declare metric "${options.name}": bad label name "${label}"`);
      }
      if (kind === "histogram" && label === "le") {
        throw new TypeError(`Cannot declare histogram "${options.name}": "le" is reserved`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new TypeError(`Cannot declare metric "${options.name}": a label name repeats`);
    }
    const metric: Metric = {
      kind,
      name: options.name,
      help: options.help,
      labelNames,
      buckets,
      series: new Map(),
    };
    metrics.set(options.name, metric);
    return metric;
  }

  // Missing labels read as "" and unknown ones are dropped: recording must never throw into the
  // code path it measures (a webhook must not fail over a metric).
  function labelValues(metric: Metric, labels: Labels = {}): string[] {
    return metric.labelNames.map((name) => {
      const value = labels[name];
      return value === undefined || value === null ? "" : String(value);
    });
  }

  function seriesOf(metric: Metric, labels: Labels | undefined, create: boolean): Series | null {
    const values = labelValues(metric, labels);
    const key = JSON.stringify(values);
    let series = metric.series.get(key);
    if (!series && create && metric.series.size < maxSeries) {
      series = { labels: values, value: 0 };
      if (metric.kind === "histogram") {
        series.buckets = new Array(metric.buckets.length + 1).fill(0);
        series.sum = 0;
      }
      metric.series.set(key, series);
    }
    return series ?? null;
  }

  return {
    counter(options) {
      const metric = declare("counter", options);
      return {
        inc(labels, value = 1) {
          if (!Number.isFinite(value) || value < 0) return;
          const series = seriesOf(metric, labels, true);
          if (series) series.value += value;
        },
        get: (labels) => seriesOf(metric, labels, false)?.value ?? 0,
      };
    },

    gauge(options) {
      const metric = declare("gauge", options);
      const add = (labels: Labels | undefined, value: number) => {
        if (!Number.isFinite(value)) return;
        const series = seriesOf(metric, labels, true);
        if (series) series.value += value;
      };
      return {
        set(value, labels) {
          if (Number.isNaN(value)) return;
          const series = seriesOf(metric, labels, true);
          if (series) series.value = value;
        },
        inc: (labels, value = 1) => add(labels, value),
        dec: (labels, value = 1) => add(labels, -value),
        get: (labels) => seriesOf(metric, labels, false)?.value ?? 0,
      };
    },

    histogram(options) {
      const bounds = [...options.buckets];
      if (bounds.length === 0) {
        throw new TypeError(`Cannot declare histogram "${options.name}": it has no buckets`);
      }
      bounds.forEach((bound, i) => {
        if (!Number.isFinite(bound) || (i > 0 && bound <= bounds[i - 1])) {
          throw new TypeError(
            `Cannot declare histogram "${options.name}": buckets must be finite and increasing`,
          );
        }
      });
      const metric = declare("histogram", options, bounds);
      return {
        observe(value, labels) {
          if (!Number.isFinite(value)) return;
          const series = seriesOf(metric, labels, true);
          if (!series) return;
          let bucket = bounds.findIndex((bound) => value <= bound);
          if (bucket === -1) bucket = bounds.length;
          series.buckets![bucket]++;
          series.sum! += value;
          series.value++;
        },
        get(labels) {
          const series = seriesOf(metric, labels, false);
          return { count: series?.value ?? 0, sum: series?.sum ?? 0 };
        },
      };
    },

    render() {
      const lines: string[] = [];
      for (const metric of metrics.values()) {
        lines.push(`# HELP ${metric.name} ${escapeHelp(metric.help)}`);
        lines.push(`# TYPE ${metric.name} ${metric.kind}`);
        // A metric without labels always shows its one series, even before anything happened.
        if (metric.labelNames.length === 0) seriesOf(metric, undefined, true);
        const all = [...metric.series.values()].sort((a, b) =>
          a.labels.join("\0").localeCompare(b.labels.join("\0"))
        );
        for (const series of all) {
          const pairs = metric.labelNames.map((name, i) => [name, series.labels[i]]);
          if (metric.kind !== "histogram") {
            lines.push(`${metric.name}${labelText(pairs)} ${formatNumber(series.value)}`);
            continue;
          }
          let cumulative = 0;
          metric.buckets.forEach((bound, i) => {
            cumulative += series.buckets![i];
            lines.push(
              `${metric.name}_bucket${labelText([...pairs, ["le", formatNumber(bound)]])} ` +
                cumulative,
            );
          });
          cumulative += series.buckets![metric.buckets.length];
          lines.push(`${metric.name}_bucket${labelText([...pairs, ["le", "+Inf"]])} ${cumulative}`);
          lines.push(`${metric.name}_sum${labelText(pairs)} ${formatNumber(series.sum!)}`);
          lines.push(`${metric.name}_count${labelText(pairs)} ${series.value}`);
        }
      }
      return lines.join("\n") + "\n";
    },
  };
}

/** A sample value or bound as the format spells it: `+Inf`, `-Inf`, `NaN`, else a plain number. */
export function formatNumber(value: number): string {
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(pairs: string[][]): string {
  if (pairs.length === 0) return "";
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}
