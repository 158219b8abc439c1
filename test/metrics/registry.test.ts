import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { parseExposition, sampleValue } from './support/parse-exposition.js';

function expectInternalError(action: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(isSecretsAgentError(caught, 'ERR_INTERNAL'), String(caught)).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('createMetricsRegistry', () => {
  it('renders counters and gauges in text format 0.0.4, exactly', async () => {
    const registry = createMetricsRegistry();
    const fetches = registry.counter('demo_fetches_total', 'Fetches by result.', ['result']);
    const tasks = registry.gauge('demo_tasks', 'Tasks.');
    fetches.inc({ result: 'fetched' });
    fetches.inc({ result: 'fetched' }, 2);
    fetches.inc({ result: 'cached' });
    tasks.set(7);
    expect(await registry.render()).toBe(
      [
        '# HELP demo_fetches_total Fetches by result.',
        '# TYPE demo_fetches_total counter',
        'demo_fetches_total{result="fetched"} 3',
        'demo_fetches_total{result="cached"} 1',
        // prom-client separates metric families with an empty line.
        '',
        '# HELP demo_tasks Tasks.',
        '# TYPE demo_tasks gauge',
        'demo_tasks 7',
        '',
      ].join('\n'),
    );
  });

  it("is read back by Prometheus' own parser, label escapes included", async () => {
    const registry = createMetricsRegistry();
    const failures = registry.counter('demo_failures_total', 'Failures\nby "code" \\ path.', ['code', 'path']);
    const awkward = 'a "quoted" back\\slash\nnew line';
    failures.inc({ code: 'ERR_STORE_UNREACHABLE', path: awkward }, 4);
    failures.inc({ code: 'ERR_FORBIDDEN', path: 'plain' });
    const gauge = registry.gauge('demo_expiry_timestamp_seconds', 'Expiry.');
    gauge.set(1_767_225_600.5);

    const families = await parseExposition(await registry.render());
    const family = families.find((candidate) => candidate.name === 'demo_failures');
    expect(family?.type).toBe('counter');
    expect(family?.help).toBe('Failures\nby "code" \\ path.');
    expect(sampleValue(families, 'demo_failures_total', { code: 'ERR_STORE_UNREACHABLE', path: awkward })).toBe(4);
    expect(sampleValue(families, 'demo_failures_total', { code: 'ERR_FORBIDDEN', path: 'plain' })).toBe(1);
    expect(sampleValue(families, 'demo_expiry_timestamp_seconds')).toBe(1_767_225_600.5);
  });

  it('shows an unlabelled metric as 0 before anything happened, and a labelled one with no series', async () => {
    const registry = createMetricsRegistry();
    registry.counter('demo_renewals_total', 'Renewals.');
    registry.counter('demo_restarts_total', 'Restarts.', ['reason']);
    const text = await registry.render();
    expect(text).toContain('demo_renewals_total 0\n');
    expect(text).toContain('# TYPE demo_restarts_total counter\n');
    expect(text).not.toMatch(/^demo_restarts_total/m);
    const families = await parseExposition(text);
    expect(sampleValue(families, 'demo_renewals_total')).toBe(0);
  });

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', async () => {
    const registry = createMetricsRegistry();
    const duration = registry.histogram('demo_fetch_seconds', 'Fetch time.', {
      labelNames: ['store'],
      buckets: [0.1, 1],
    });
    for (const value of [0.05, 0.1, 0.5, 3]) duration.observe({ store: 'main' }, value);
    const text = await registry.render();
    expect(text).toContain(
      [
        // prom-client's spelling: `le` first.
        'demo_fetch_seconds_bucket{le="0.1",store="main"} 2',
        'demo_fetch_seconds_bucket{le="1",store="main"} 3',
        'demo_fetch_seconds_bucket{le="+Inf",store="main"} 4',
        'demo_fetch_seconds_sum{store="main"} 3.65',
        'demo_fetch_seconds_count{store="main"} 4',
      ].join('\n'),
    );
    const families = await parseExposition(text);
    expect(families.find((family) => family.name === 'demo_fetch_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'demo_fetch_seconds_bucket', { store: 'main', le: '+Inf' })).toBe(4);
    expect(sampleValue(families, 'demo_fetch_seconds_count', { store: 'main' })).toBe(4);
  });

  it('spells NaN and infinities as Prometheus does', async () => {
    const registry = createMetricsRegistry();
    const gauge = registry.gauge('demo_values', 'Special values.', ['kind']);
    gauge.set({ kind: 'inf' }, Infinity);
    gauge.set({ kind: 'neg' }, -Infinity);
    const text = await registry.render();
    expect(text).toContain('demo_values{kind="inf"} +Inf\n');
    expect(text).toContain('demo_values{kind="neg"} -Inf\n');
    const families = await parseExposition(text);
    expect(sampleValue(families, 'demo_values', { kind: 'inf' })).toBe('+Inf');
    expect(sampleValue(families, 'demo_values', { kind: 'neg' })).toBe('-Inf');
  });

  it('moves gauges up and down, resets series, and runs collectors before each render', async () => {
    const registry = createMetricsRegistry();
    const gauge = registry.gauge('demo_live', 'Live.', ['state']);
    let collected = 0;
    registry.onCollect(() => {
      collected += 1;
      gauge.set({ state: 'running' }, collected * 10);
    });
    gauge.inc({ state: 'held' }, 3);
    gauge.dec({ state: 'held' });
    expect(await registry.render()).toContain('demo_live{state="held"} 2\ndemo_live{state="running"} 10\n');
    gauge.reset();
    expect(await registry.render()).toBe(
      '# HELP demo_live Live.\n# TYPE demo_live gauge\ndemo_live{state="running"} 20\n',
    );
  });

  it('refuses names, labels and values that would produce invalid or misleading output', async () => {
    const registry = createMetricsRegistry();
    expectInternalError(() => registry.counter('demo-bad', 'x'), /metric name/);
    expectInternalError(() => registry.counter('demo_ok_total', 'x', ['__reserved']), /label name/);
    expectInternalError(() => registry.counter('demo_dupe_label_total', 'x', ['a', 'a']), /label twice/);
    const counter = registry.counter('demo_total', 'x', ['result']);
    expectInternalError(() => registry.counter('demo_total', 'again'), /registered twice/);
    expectInternalError(() => counter.inc({ result: 'a' }, -1), /non-negative/);
    expectInternalError(() => counter.inc({ result: 'a' }, Number.NaN), /non-negative/);
    expectInternalError(() => counter.inc(), /expects labels \[result\]/);
    expectInternalError(
      () => counter.inc({ result: 'a', extra: 'b' } as unknown as { result: string }),
      /expects labels/,
    );
    expectInternalError(() => registry.histogram('demo_h', 'x', { labelNames: ['le'] }), /`le`/);
    expectInternalError(() => registry.histogram('demo_h2', 'x', { buckets: [1, 1] }), /ascending/);
    expectInternalError(() => registry.gauge('demo_g', 'x').set(Number.NaN), /Expected a number/);
  });
});
