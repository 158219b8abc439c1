// The plan of `run` without running it: validation, spaces, and (with a store) an access check of
// every path, reported in full rather than stopping at the first failure.
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { loadAgentPlan, type AgentPlanOptions } from './load-plan.js';
import { createPlanReport, findPlanReportFailure, type PlanReport } from './plan-report.js';
import { fetchPaths, type ResolveRetryOptions } from './resolve-secrets.js';
import type { OpenSecretSource } from './secret-source-handle.js';

export interface ExplainAgentOptions extends AgentPlanOptions {
  readonly timeoutMs: number;
  readonly retry?: ResolveRetryOptions;
  /** Whether `run` would get `--user` (which forces supervise mode). */
  readonly withUser: boolean;
  /** Undefined: report the plan only, without asking a store. */
  readonly openSource: OpenSecretSource | undefined;
  readonly log: Logger;
}

export interface ExplainResult {
  readonly report: PlanReport;
  /** What `run` would fail with; undefined when it would start the workload. */
  readonly failure: SecretsAgentError | undefined;
}

// Builds the report; throws only for problems found before any store is asked (bad definition, spaces).
export async function explainAgent(options: ExplainAgentOptions): Promise<ExplainResult> {
  const { plan, key } = await loadAgentPlan(options);
  if (options.openSource === undefined) {
    const report = createPlanReport(plan, undefined, { withUser: options.withUser });
    return { report, failure: undefined };
  }
  const opened = await options.openSource();
  try {
    const optionalPaths = new Set(plan.optionalPaths);
    const outcomes = await fetchPaths(
      {
        source: opened.source,
        timeoutMs: options.timeoutMs,
        log: options.log,
        ...(key === undefined ? {} : { pgpPrivateKey: key }),
        ...(options.retry === undefined ? {} : { retry: options.retry }),
      },
      plan.secretPaths,
      (path) => optionalPaths.has(path),
    );
    const report = createPlanReport(plan, outcomes, { withUser: options.withUser });
    return { report, failure: findPlanReportFailure(report) };
  } finally {
    await opened.close();
  }
}
