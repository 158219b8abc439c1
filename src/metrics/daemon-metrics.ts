// The metrics `secrets-agent daemon` exports, with their names fixed in one place (dashboards and
// alerts depend on them) and typed handles so a label typo fails to compile.
import { taskStates, type TaskState } from '../daemon/status-types.js';
import type { Counter, Gauge, Histogram, MetricsRegistry } from './registry.js';

export const daemonMetricNames = {
  fetches: 'secrets_agent_fetches_total',
  fetchFailures: 'secrets_agent_fetch_failures_total',
  fetchDuration: 'secrets_agent_fetch_duration_seconds',
  rotations: 'secrets_agent_rotations_total',
  tokenRenewals: 'secrets_agent_token_renewals_total',
  taskRestarts: 'secrets_agent_task_restarts_total',
  tasks: 'secrets_agent_tasks',
  staleTasks: 'secrets_agent_stale_tasks',
  tokenExpiry: 'secrets_agent_token_expiry_timestamp_seconds',
  restartBudgetDeferred: 'secrets_agent_restart_budget_deferred_total',
} as const;

/** `result` of a fetch: served from the node cache, fetched from the store, or failed. */
export type FetchResult = 'fetched' | 'cached' | 'deduplicated' | 'failed';
/** What a task was made to do about a rotated secret. */
export type RotationReaction = 'signal' | 'restart' | 'none';

export interface DaemonMetrics {
  /** One per secret read a task needed; label `result`: fetched | cached | deduplicated | failed. */
  readonly fetches: Counter<'result'>;
  /** Failed store reads by error code (ERR_STORE_UNREACHABLE, ERR_FORBIDDEN, ...). */
  readonly fetchFailures: Counter<'code'>;
  /** Wall time of one store read that went to the network. */
  readonly fetchDuration: Histogram;
  /** Rotations applied to a task; label `reaction`: signal | restart | none. */
  readonly rotations: Counter<'reaction'>;
  readonly tokenRenewals: Counter;
  /** Task restarts; label `reason`: exited | rotation | definition-changed | retry. */
  readonly taskRestarts: Counter<'reason'>;
  /** Tasks per state (starting, running, backoff, held, stopping, stopped, failed). */
  readonly tasks: Gauge<'state'>;
  /** Tasks running on last-known-good values during a store outage. */
  readonly staleTasks: Gauge;
  /** Expiry of the daemon's auth token, Unix seconds (0 before the first login). */
  readonly tokenExpiry: Gauge;
  /** Restarts the node-wide restart budget deferred. */
  readonly restartBudgetDeferred: Counter;
}

// Registers the daemon's metrics on `registry` and returns their handles.
export function createDaemonMetrics(registry: MetricsRegistry): DaemonMetrics {
  const names = daemonMetricNames;
  return Object.freeze({
    fetches: registry.counter(
      names.fetches,
      'Secret reads needed by tasks, by result (fetched, cached, deduplicated, failed).',
      ['result'],
    ),
    fetchFailures: registry.counter(names.fetchFailures, 'Secret reads from the store that failed, by error code.', [
      'code',
    ]),
    fetchDuration: registry.histogram(
      names.fetchDuration,
      'Duration of secret reads that went to the store, in seconds.',
    ),
    rotations: registry.counter(
      names.rotations,
      'Secret rotations applied to tasks, by reaction (signal, restart, none).',
      ['reaction'],
    ),
    tokenRenewals: registry.counter(names.tokenRenewals, 'Auth token renewals and re-logins.'),
    taskRestarts: registry.counter(names.taskRestarts, 'Task restarts, by reason.', ['reason']),
    tasks: registry.gauge(names.tasks, 'Tasks by state.', ['state']),
    staleTasks: registry.gauge(
      names.staleTasks,
      'Tasks running on last-known-good secret values during a store outage.',
    ),
    tokenExpiry: registry.gauge(
      names.tokenExpiry,
      'Expiry time of the daemon auth token, in Unix seconds (0 before the first login).',
    ),
    restartBudgetDeferred: registry.counter(
      names.restartBudgetDeferred,
      'Task restarts deferred by the node-wide restart budget.',
    ),
  });
}

/** The parts of a task's status the task gauges are computed from. */
export interface TaskGaugeInput {
  readonly state: TaskState;
  readonly stale?: unknown;
}

// Sets secrets_agent_tasks{state} (every state, zeros included) and secrets_agent_stale_tasks
// from the current task list; call it from registry.onCollect so a scrape sees live numbers.
export function recordTaskGauges(metrics: DaemonMetrics, tasks: Iterable<TaskGaugeInput>): void {
  const counts = new Map<TaskState, number>(taskStates.map((state) => [state, 0]));
  let stale = 0;
  for (const task of tasks) {
    counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
    if (task.stale !== undefined) stale += 1;
  }
  for (const [state, count] of counts) metrics.tasks.set({ state }, count);
  metrics.staleTasks.set(stale);
}
