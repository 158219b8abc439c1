// A small Prometheus metrics registry: counters, gauges and histograms rendered in the text
// exposition format 0.0.4. Hand-written rather than prom-client: the daemon needs three metric
// types and one render call, not default process collectors, aggregation across workers or a
// dependency tree; this file is the whole cost.
import { SecretsAgentError } from '../core/errors.js';
import { formatSampleValue, renderLabelPairs, escapeHelp } from './exposition.js';

/** Label values keyed by label name; every declared label must be given. */
export type Labels<L extends string> = Readonly<Record<L, string | number>>;

export interface Counter<L extends string = never> {
  /** Adds `n` (default 1, never negative). */
  inc(labels?: Labels<L>, n?: number): void;
  /** Drops every series (the metric keeps its HELP/TYPE lines). */
  reset(): void;
}

export interface Gauge<L extends string = never> {
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  inc(labels?: Labels<L>, n?: number): void;
  dec(labels?: Labels<L>, n?: number): void;
  reset(): void;
}

export interface Histogram<L extends string = never> {
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  reset(): void;
}

export interface HistogramOptions<L extends string> {
  readonly labelNames?: readonly L[];
  /** Upper bounds, ascending; `+Inf` is added. Default: Prometheus' default buckets (seconds). */
  readonly buckets?: readonly number[];
}

export interface MetricsRegistry {
  counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = never>(name: string, help: string, options?: HistogramOptions<L>): Histogram<L>;
  /** Runs `collect` before every render, so gauges that mirror live state are set lazily. */
  onCollect(collect: () => void): void;
  /** Every metric in registration order, as Prometheus text format 0.0.4. */
  render(): string;
}

/** The Content-Type of render()'s output. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

export const defaultBuckets: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type MetricType = 'counter' | 'gauge' | 'histogram';

interface Series {
  readonly labelValues: readonly string[];
  value: number;
  /** Histogram only: per-bucket (non-cumulative) counts, then sum. */
  bucketCounts?: number[];
  sum?: number;
}

interface MetricEntry {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly series: Map<string, Series>;
}

// Creates an empty registry.
export function createMetricsRegistry(): MetricsRegistry {
  const metrics = new Map<string, MetricEntry>();
  const collectors: (() => void)[] = [];

  function register(
    name: string,
    help: string,
    type: MetricType,
    labelNames: readonly string[],
    buckets: readonly number[] = [],
  ): MetricEntry {
    assertMetricName(name);
    for (const label of labelNames) assertLabelName(name, label, type);
    if (new Set(labelNames).size !== labelNames.length) {
      throw new SecretsAgentError('ERR_INTERNAL', `metric ${name} declares a label twice`, {
        details: { name, labelNames },
      });
    }
    if (metrics.has(name))
      throw new SecretsAgentError('ERR_INTERNAL', `metric ${name} is registered twice`, { details: { name } });
    const entry: MetricEntry = { name, help, type, labelNames: [...labelNames], buckets, series: new Map() };
    metrics.set(name, entry);
    return entry;
  }

  return {
    counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
      const entry = register(name, help, 'counter', labelNames);
      return {
        inc(labels?: Labels<L>, n = 1) {
          assertFiniteNonNegative(entry.name, n);
          seriesFor(entry, labels).value += n;
        },
        reset: () => entry.series.clear(),
      };
    },

    gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
      const entry = register(name, help, 'gauge', labelNames);
      const add = (labels: Labels<L> | undefined, n: number): void => {
        assertNumber(entry.name, n);
        seriesFor(entry, labels).value += n;
      };
      return {
        set(labelsOrValue: Labels<L> | number, maybeValue?: number) {
          const [labels, value] =
            typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, maybeValue];
          assertNumber(entry.name, value);
          seriesFor(entry, labels).value = value;
        },
        inc: (labels?: Labels<L>, n = 1) => add(labels, n),
        dec: (labels?: Labels<L>, n = 1) => add(labels, -n),
        reset: () => entry.series.clear(),
      } as Gauge<L>;
    },

    histogram<L extends string = never>(name: string, help: string, options: HistogramOptions<L> = {}): Histogram<L> {
      const buckets = [...(options.buckets ?? defaultBuckets)];
      assertBuckets(name, buckets);
      const entry = register(name, help, 'histogram', options.labelNames ?? [], buckets);
      for (const label of entry.labelNames) {
        if (label === 'le')
          throw new SecretsAgentError('ERR_INTERNAL', `histogram ${name} may not use the label name \`le\``);
      }
      return {
        observe(labelsOrValue: Labels<L> | number, maybeValue?: number) {
          const [labels, value] =
            typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, maybeValue];
          assertNumber(entry.name, value);
          const series = seriesFor(entry, labels);
          const counts = series.bucketCounts ?? (series.bucketCounts = new Array<number>(buckets.length).fill(0));
          const index = buckets.findIndex((bound) => value <= bound);
          if (index >= 0) counts[index] = (counts[index] ?? 0) + 1;
          series.value += 1;
          series.sum = (series.sum ?? 0) + value;
        },
        reset: () => entry.series.clear(),
      } as Histogram<L>;
    },

    onCollect(collect: () => void) {
      collectors.push(collect);
    },

    render() {
      for (const collect of collectors) collect();
      const lines: string[] = [];
      for (const entry of metrics.values()) renderMetric(entry, lines);
      return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    },
  };
}

function seriesFor(entry: MetricEntry, labels: Readonly<Record<string, string | number>> | undefined): Series {
  const labelValues = labelValuesOf(entry, labels ?? {});
  const key = JSON.stringify(labelValues);
  let series = entry.series.get(key);
  if (series === undefined) {
    series = { labelValues, value: 0 };
    entry.series.set(key, series);
  }
  return series;
}

// Missing or unknown labels are a programming error: a typo would silently split a series.
function labelValuesOf(entry: MetricEntry, labels: Readonly<Record<string, string | number>>): string[] {
  const given = Object.keys(labels);
  const unknown = given.filter((name) => !entry.labelNames.includes(name));
  const missing = entry.labelNames.filter((name) => !given.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `metric ${entry.name} expects labels [${entry.labelNames.join(', ')}]`,
      {
        details: { name: entry.name, unknown, missing },
      },
    );
  }
  return entry.labelNames.map((name) => String(labels[name]));
}

function renderMetric(entry: MetricEntry, lines: string[]): void {
  lines.push(`# HELP ${entry.name} ${escapeHelp(entry.help)}`, `# TYPE ${entry.name} ${entry.type}`);
  // An unlabelled metric always has its one series, so a scrape shows 0 rather than nothing.
  if (entry.labelNames.length === 0 && entry.series.size === 0) seriesFor(entry, {});
  for (const series of entry.series.values()) {
    const pairs = entry.labelNames.map((name, index) => [name, series.labelValues[index] ?? ''] as const);
    if (entry.type !== 'histogram') {
      lines.push(`${entry.name}${renderLabelPairs(pairs)} ${formatSampleValue(series.value)}`);
      continue;
    }
    let cumulative = 0;
    entry.buckets.forEach((bound, index) => {
      cumulative += series.bucketCounts?.[index] ?? 0;
      lines.push(`${entry.name}_bucket${renderLabelPairs([...pairs, ['le', formatSampleValue(bound)]])} ${cumulative}`);
    });
    lines.push(`${entry.name}_bucket${renderLabelPairs([...pairs, ['le', '+Inf']])} ${series.value}`);
    lines.push(`${entry.name}_sum${renderLabelPairs(pairs)} ${formatSampleValue(series.sum ?? 0)}`);
    lines.push(`${entry.name}_count${renderLabelPairs(pairs)} ${series.value}`);
  }
}

function assertMetricName(name: string): void {
  if (!metricNamePattern.test(name)) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `Expected a metric name matching ${metricNamePattern.source}, got ${JSON.stringify(name)}`,
    );
  }
}

function assertLabelName(metric: string, label: string, type: MetricType): void {
  if (!labelNamePattern.test(label) || label.startsWith('__')) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `${type} ${metric}: Expected a label name matching ${labelNamePattern.source} and not starting with __, got ${JSON.stringify(label)}`,
    );
  }
}

function assertBuckets(name: string, buckets: readonly number[]): void {
  const ascending = buckets.every(
    (bound, index) => Number.isFinite(bound) && (index === 0 || bound > (buckets[index - 1] ?? -Infinity)),
  );
  if (buckets.length === 0 || !ascending) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `histogram ${name}: Expected \`buckets\` to be finite, strictly ascending and non-empty, got ${JSON.stringify(buckets)}`,
    );
  }
}

function assertNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `metric ${name}: Expected a number, got \`${String(value)}\` (${typeof value})`,
    );
  }
}

function assertFiniteNonNegative(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `counter ${name}: Expected \`n\` to be a finite non-negative number, got \`${String(value)}\` (${typeof value})`,
    );
  }
}
