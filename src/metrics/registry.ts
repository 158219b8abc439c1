// The project's metrics registry: counters, gauges and histograms with typed label names, checked
// names and values, rendered in the Prometheus text format 0.0.4. The series, their storage and the
// text format are prom-client's (it replaced a hand-written renderer once the store needed process
// metrics and event-loop lag too, which prom-client collects); this layer keeps the daemon's typed
// handles and turns a programming mistake (a label typo, a negative counter step) into ERR_INTERNAL.
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { SecretsAgentError } from '../core/errors.js';

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
  render(): Promise<string>;
}

/** The Content-Type of render()'s output. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

export const defaultBuckets: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type MetricType = 'counter' | 'gauge' | 'histogram';

// Creates an empty registry on prom-client; `prometheus` is the underlying registry, for
// prom-client's own collectors (process metrics) and metrics registered directly on it.
export function createMetricsRegistry(prometheus: Registry = new Registry()): MetricsRegistry & {
  readonly prometheus: Registry;
} {
  const names = new Set<string>();
  const collectors: (() => void)[] = [];

  function register(name: string, type: MetricType, labelNames: readonly string[]): void {
    assertMetricName(name);
    for (const label of labelNames) assertLabelName(name, label, type);
    if (new Set(labelNames).size !== labelNames.length) {
      throw new SecretsAgentError('ERR_INTERNAL', `metric ${name} declares a label twice`, {
        details: { name, labelNames },
      });
    }
    if (names.has(name) || prometheus.getSingleMetric(name) !== undefined)
      throw new SecretsAgentError('ERR_INTERNAL', `metric ${name} is registered twice`, { details: { name } });
    names.add(name);
  }

  return {
    prometheus,
    counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
      register(name, 'counter', labelNames);
      const metric = new PromCounter({ name, help, labelNames: [...labelNames], registers: [prometheus] });
      return {
        inc(labels?: Labels<L>, n = 1) {
          assertFiniteNonNegative(name, n);
          const values = labelValuesOf(name, labelNames, labels);
          if (values === undefined) metric.inc(n);
          else metric.inc(values, n);
        },
        reset: () => metric.reset(),
      };
    },

    gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
      register(name, 'gauge', labelNames);
      const metric = new PromGauge({ name, help, labelNames: [...labelNames], registers: [prometheus] });
      const add = (labels: Labels<L> | undefined, n: number): void => {
        assertNumber(name, n);
        const values = labelValuesOf(name, labelNames, labels);
        if (values === undefined) metric.inc(n);
        else metric.inc(values, n);
      };
      return {
        set(labelsOrValue: Labels<L> | number, maybeValue?: number) {
          const [labels, value] =
            typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, maybeValue];
          assertNumber(name, value);
          const values = labelValuesOf(name, labelNames, labels);
          if (values === undefined) metric.set(value);
          else metric.set(values, value);
        },
        inc: (labels?: Labels<L>, n = 1) => add(labels, n),
        dec: (labels?: Labels<L>, n = 1) => add(labels, -n),
        reset: () => metric.reset(),
      } as Gauge<L>;
    },

    histogram<L extends string = never>(name: string, help: string, options: HistogramOptions<L> = {}): Histogram<L> {
      const buckets = [...(options.buckets ?? defaultBuckets)];
      assertBuckets(name, buckets);
      const labelNames = options.labelNames ?? [];
      for (const label of labelNames) {
        if (label === 'le')
          throw new SecretsAgentError('ERR_INTERNAL', `histogram ${name} may not use the label name \`le\``);
      }
      register(name, 'histogram', labelNames);
      const metric = new PromHistogram({ name, help, labelNames: [...labelNames], buckets, registers: [prometheus] });
      return {
        observe(labelsOrValue: Labels<L> | number, maybeValue?: number) {
          const [labels, value] =
            typeof labelsOrValue === 'number' ? [undefined, labelsOrValue] : [labelsOrValue, maybeValue];
          assertNumber(name, value);
          const values = labelValuesOf(name, labelNames, labels);
          if (values === undefined) metric.observe(value);
          else metric.observe(values, value);
        },
        reset: () => metric.reset(),
      } as Histogram<L>;
    },

    onCollect(collect: () => void) {
      collectors.push(collect);
    },

    async render() {
      for (const collect of collectors) collect();
      return prometheus.metrics();
    },
  };
}

// Missing or unknown labels are a programming error: a typo would silently split a series.
// undefined: the metric has no labels.
function labelValuesOf(
  name: string,
  labelNames: readonly string[],
  labels: Readonly<Record<string, string | number>> | undefined,
): Partial<Record<never, string>> | undefined {
  const given = Object.keys(labels ?? {});
  const unknown = given.filter((label) => !labelNames.includes(label));
  const missing = labelNames.filter((label) => !given.includes(label));
  if (unknown.length > 0 || missing.length > 0) {
    throw new SecretsAgentError('ERR_INTERNAL', `metric ${name} expects labels [${labelNames.join(', ')}]`, {
      details: { name, unknown, missing },
    });
  }
  if (labelNames.length === 0) return undefined;
  return Object.fromEntries(labelNames.map((label) => [label, String(labels?.[label])])) as Partial<
    Record<never, string>
  >;
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
