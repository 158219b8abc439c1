// The agent: `run` (wrap one command) and the parts the daemon reuses.
export { loadPlan, planFromDefinition, type LoadPlanOptions, type LoadedPlan, type PlanOptions } from './load-plan.js';
export {
  resolveSecrets,
  fetchPaths,
  defaultResolveTimeoutMs,
  defaultMaxConcurrentFetches,
  defaultResolveRetry,
  type ResolveSecretsOptions,
  type ResolveRetryOptions,
  type ResolvedSecret,
  type ResolvedSecrets,
  type PathOutcome,
} from './resolve-secrets.js';
export {
  prepareWorkload,
  buildSecretEnv,
  type PrepareWorkloadOptions,
  type PreparedWorkload,
  type PreparedFile,
  type WorkloadUser,
} from './prepare-workload.js';
export { parseWorkloadUser } from './parse-user.js';
export { readNodePgpKey, detectPgpMessage, decryptSecretValue, type NodePgpKey } from './pgp-value.js';
export {
  createPlanReport,
  formatPlanReport,
  findPlanReportFailure,
  type PlanReport,
  type PathReport,
} from './plan-report.js';
export { explainAgent, type ExplainAgentOptions, type ExplainResult } from './explain-agent.js';
export { runAgent, type RunAgentOptions } from './run-agent.js';
export type { OpenSecretSource, OpenedSecretSource } from './secret-source-handle.js';
