import { describe, expect, it } from 'vitest';
import { createDaemonMetrics, daemonMetricNames, recordTaskGauges } from '../../src/metrics/daemon-metrics.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { taskStates } from '../../src/daemon/status-types.js';
import { parseExposition, sampleValue } from './support/parse-exposition.js';

describe('createDaemonMetrics', () => {
  it('registers every metric the daemon documents, with its type', async () => {
    const registry = createMetricsRegistry();
    createDaemonMetrics(registry);
    const families = await parseExposition(await registry.render());
    const types = Object.fromEntries(families.map((family) => [family.name, family.type]));
    expect(types).toEqual({
      secrets_agent_fetches: 'counter',
      secrets_agent_fetch_failures: 'counter',
      secrets_agent_fetch_duration_seconds: 'histogram',
      secrets_agent_rotations: 'counter',
      secrets_agent_token_renewals: 'counter',
      secrets_agent_task_restarts: 'counter',
      secrets_agent_tasks: 'gauge',
      secrets_agent_stale_tasks: 'gauge',
      secrets_agent_token_expiry_timestamp_seconds: 'gauge',
      secrets_agent_restart_budget_deferred: 'counter',
    });
    expect(Object.values(daemonMetricNames).every((name) => name.startsWith('secrets_agent_'))).toBe(true);
  });

  it('counts through typed handles and renders the values back', async () => {
    const registry = createMetricsRegistry();
    const metrics = createDaemonMetrics(registry);
    metrics.fetches.inc({ result: 'fetched' });
    metrics.fetches.inc({ result: 'deduplicated' }, 99);
    metrics.fetchFailures.inc({ code: 'ERR_STORE_UNREACHABLE' });
    metrics.fetchDuration.observe(0.02);
    metrics.rotations.inc({ reaction: 'signal' });
    metrics.tokenRenewals.inc();
    metrics.taskRestarts.inc({ reason: 'rotation' });
    metrics.tokenExpiry.set(1_900_000_000);
    metrics.restartBudgetDeferred.inc({}, 3);
    const families = await parseExposition(await registry.render());
    expect(sampleValue(families, 'secrets_agent_fetches_total', { result: 'deduplicated' })).toBe(99);
    expect(sampleValue(families, 'secrets_agent_fetch_failures_total', { code: 'ERR_STORE_UNREACHABLE' })).toBe(1);
    expect(sampleValue(families, 'secrets_agent_fetch_duration_seconds_count')).toBe(1);
    expect(sampleValue(families, 'secrets_agent_rotations_total', { reaction: 'signal' })).toBe(1);
    expect(sampleValue(families, 'secrets_agent_token_renewals_total')).toBe(1);
    expect(sampleValue(families, 'secrets_agent_task_restarts_total', { reason: 'rotation' })).toBe(1);
    expect(sampleValue(families, 'secrets_agent_token_expiry_timestamp_seconds')).toBe(1_900_000_000);
    expect(sampleValue(families, 'secrets_agent_restart_budget_deferred_total')).toBe(3);
  });

  it('sets the task gauges from live task states on each scrape, zeros included', async () => {
    const registry = createMetricsRegistry();
    const metrics = createDaemonMetrics(registry);
    const tasks: { state: (typeof taskStates)[number]; stale?: object }[] = [
      { state: 'running' },
      { state: 'running', stale: {} },
      { state: 'held' },
    ];
    registry.onCollect(() => recordTaskGauges(metrics, tasks));
    let families = await parseExposition(await registry.render());
    expect(sampleValue(families, 'secrets_agent_tasks', { state: 'running' })).toBe(2);
    expect(sampleValue(families, 'secrets_agent_tasks', { state: 'held' })).toBe(1);
    for (const state of ['starting', 'backoff', 'stopping', 'stopped', 'failed']) {
      expect(sampleValue(families, 'secrets_agent_tasks', { state })).toBe(0);
    }
    expect(sampleValue(families, 'secrets_agent_stale_tasks')).toBe(1);

    tasks.splice(0, 3, { state: 'stopped' });
    families = await parseExposition(await registry.render());
    expect(sampleValue(families, 'secrets_agent_tasks', { state: 'running' })).toBe(0);
    expect(sampleValue(families, 'secrets_agent_tasks', { state: 'stopped' })).toBe(1);
    expect(sampleValue(families, 'secrets_agent_stale_tasks')).toBe(0);
  });
});
