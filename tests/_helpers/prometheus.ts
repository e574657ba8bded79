// A strict parser of Prometheus' text exposition format 0.0.4, for tests: it throws on anything a
// scraper could read differently (stray lines, bad escapes, histograms that do not add up).

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its HELP, TYPE and samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

/** A parsed exposition. */
export interface Exposition {
  families: Map<string, MetricFamily>;
  /** The value of the sample `name` with exactly `labels`; undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = "[a-zA-Z_][a-zA-Z0-9_]*";
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(\\{.*\\})? (\\S+)$`);

/**
 * Parses `text`, checking every line is HELP, TYPE or a sample of the family declared just
 * before it; HELP then TYPE once per family; label values escaped; no series twice; counters
 * never negative; each histogram series' buckets cumulative with increasing bounds, ending with
 * `le="+Inf"` equal to its `_count`, and a `_sum`.
 */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("exposition does not end with a line feed");
  const families = new Map<string, MetricFamily>();
  let current: MetricFamily | null = null;
  let pendingHelp: { name: string; help: string } | null = null;
  const seen = new Set<string>();
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const where = `line ${index + 1} "${line}"`;
    const help = HELP_LINE.exec(line);
    if (help) {
      if (pendingHelp) throw new Error(`${where}: HELP without its TYPE before it`);
      if (families.has(help[1])) throw new Error(`${where}: family declared twice`);
      pendingHelp = { name: help[1], help: unescapeHelp(help[2], where) };
      return;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      if (pendingHelp?.name !== type[1]) throw new Error(`${where}: TYPE without its HELP first`);
      current = {
        name: type[1],
        help: pendingHelp.help,
        type: type[2] as MetricFamily["type"],
        samples: [],
      };
      families.set(current.name, current);
      pendingHelp = null;
      return;
    }
    if (line.startsWith("#") || line.trim() === "") {
      throw new Error(`${where}: neither HELP, TYPE nor a sample`);
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`${where}: not a sample line`);
    if (!current || pendingHelp) throw new Error(`${where}: sample before its family's TYPE`);
    const family: MetricFamily = current;
    const name = sample[1];
    const allowed = family.type === "histogram"
      ? [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
      : [family.name];
    if (!allowed.includes(name)) throw new Error(`${where}: sample outside family ${family.name}`);
    const labels = parseLabels(sample[2] ?? "", where);
    const value = parseValue(sample[3], where);
    if (family.type === "counter" && !(value >= 0)) throw new Error(`${where}: negative counter`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`${where}: series repeated`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  if (pendingHelp) throw new Error("HELP at the end without a TYPE");
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
  }
  return {
    families,
    value(name, labels = {}) {
      const want = JSON.stringify(Object.entries(labels).sort());
      for (const family of families.values()) {
        for (const sample of family.samples) {
          if (
            sample.name === name && JSON.stringify(Object.entries(sample.labels).sort()) === want
          ) {
            return sample.value;
          }
        }
      }
      return undefined;
    },
  };
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, c) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`${where}: bad escape in HELP`);
  });
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (text === "") return labels;
  let rest = text.slice(1, -1);
  const pair = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
  while (rest !== "") {
    const match = pair.exec(rest);
    if (!match) throw new Error(`${where}: bad label list at "${rest}"`);
    if (Object.hasOwn(labels, match[1])) throw new Error(`${where}: label ${match[1]} repeated`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    rest = rest.slice(match[0].length);
    if (match[3] === "," && rest === "") throw new Error(`${where}: trailing comma in labels`);
  }
  return labels;
}

function parseValue(text: string, where: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`${where}: bad value "${text}"`);
  }
  return Number(text);
}

function checkHistogram(family: MetricFamily) {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const group = groups.get(key) ?? { buckets: [] };
    groups.set(key, group);
    if (sample.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      group.buckets.push([parseValue(le, `${family.name} le`), sample.value]);
    } else if (le !== undefined) {
      throw new Error(`${family.name}: le on ${sample.name}`);
    } else if (sample.name.endsWith("_sum")) group.sum = sample.value;
    else group.count = sample.value;
  }
  for (const [key, group] of groups) {
    const what = `${family.name}${key}`;
    if (group.buckets.length === 0) throw new Error(`${what}: no buckets`);
    for (let i = 1; i < group.buckets.length; i++) {
      if (!(group.buckets[i][0] > group.buckets[i - 1][0])) {
        throw new Error(`${what}: bucket bounds not increasing`);
      }
      if (group.buckets[i][1] < group.buckets[i - 1][1]) {
        throw new Error(`${what}: buckets not cumulative`);
      }
    }
    const last = group.buckets.at(-1)!;
    if (last[0] !== Infinity) throw new Error(`${what}: last bucket is not le="+Inf"`);
    if (group.sum === undefined) throw new Error(`${what}: no _sum`);
    if (group.count === undefined) throw new Error(`${what}: no _count`);
    if (last[1] !== group.count) throw new Error(`${what}: +Inf bucket is not _count`);
  }
}
