// `explain` and `run --dry-run`: the plan (which env vars and files come from which secret paths)
// plus, when a store is given, what each path holds: type and size, or why it cannot be read.
// Names, paths, types and sizes only; never a value.
import {
  explainPlan,
  formatIssue,
  validatePlanValues,
  type AppDefIssue,
  type DeliveryPlan,
  type FetchedSecretInfo,
} from '../appdef/index.js';
import { SecretsAgentError, type ErrorCode } from '../core/errors.js';
import type { SecretType } from '../core/secrets-api.js';
import type { PathOutcome } from './resolve-secrets.js';

export interface PathReport {
  readonly sourcePath: string;
  readonly optional: boolean;
  readonly secretNames: readonly string[];
  readonly envNames: readonly string[];
  readonly files: readonly string[];
  /** `unchecked` when no store was asked. */
  readonly status: 'ok' | 'absent' | 'failed' | 'unchecked';
  readonly type?: SecretType;
  /** Size of the value as delivered (after decryption). */
  readonly bytes?: number;
  readonly decrypted?: boolean;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export interface PlanReport {
  readonly kind: 'app' | 'pod';
  readonly appId: string | undefined;
  readonly containerName: string | undefined;
  readonly onChange: string;
  /** How `run` would start the workload: exec (env only) or supervise (files to clean up, or --user). */
  readonly delivery: 'exec' | 'supervise';
  readonly secrets: readonly PathReport[];
  readonly plainEnvNames: readonly string[];
  /** Problems only the fetched values reveal (a binary secret bound to an env var). */
  readonly issues: readonly AppDefIssue[];
}

// Combines the plan with the fetch outcomes (undefined: not checked).
export function createPlanReport(
  plan: DeliveryPlan,
  outcomes: readonly PathOutcome[] | undefined,
  options: { withUser: boolean },
): PlanReport {
  const explanation = explainPlan(plan);
  const byPath = new Map((outcomes ?? []).map((outcome) => [outcome.path, outcome]));
  const fetched = new Map<string, FetchedSecretInfo>();
  const secrets = explanation.secrets.map((secret): PathReport => {
    const base = { ...secret };
    const outcome = byPath.get(secret.sourcePath);
    if (outcome === undefined) return { ...base, status: 'unchecked' };
    if ('error' in outcome)
      return { ...base, status: 'failed', error: { code: outcome.error.code, message: outcome.error.message } };
    const { record } = outcome.result;
    if (record === undefined) return { ...base, status: 'absent' };
    fetched.set(secret.sourcePath, { type: record.type });
    return {
      ...base,
      status: 'ok',
      type: record.type,
      bytes: record.bytes.length,
      decrypted: outcome.result.decrypted === true,
    };
  });
  return {
    kind: explanation.kind,
    appId: explanation.appId,
    containerName: explanation.containerName,
    onChange: explanation.onChange,
    delivery: plan.files.length > 0 || options.withUser ? 'supervise' : 'exec',
    secrets,
    plainEnvNames: explanation.plainEnvNames,
    issues: validatePlanValues(plan, fetched),
  };
}

// Terminal lines of a report.
export function formatPlanReport(report: PlanReport): string {
  const target = report.containerName === undefined ? '' : ` (container ${report.containerName})`;
  const lines = [`${report.kind} ${report.appId ?? '(no id)'}${target}, on change: ${report.onChange}`];
  if (report.secrets.length === 0) lines.push('no secrets');
  for (const secret of report.secrets) {
    lines.push(
      `secret ${secret.sourcePath}${secret.optional ? ' (optional)' : ''} [${secret.secretNames.join(', ')}]: ${describeStatus(secret)}`,
    );
    for (const name of secret.envNames) lines.push(`  env  ${name}`);
    for (const file of secret.files) lines.push(`  file ${file}`);
  }
  if (report.plainEnvNames.length > 0) lines.push(`plain env: ${report.plainEnvNames.join(', ')}`);
  for (const issue of report.issues) lines.push(`problem: ${formatIssue(issue)}`);
  const fileCount = report.secrets.reduce((count, secret) => count + secret.files.length, 0);
  lines.push(
    report.delivery === 'exec'
      ? 'delivery: exec (environment only; the agent replaces itself with the workload)'
      : `delivery: supervise (${fileCount} file${fileCount === 1 ? '' : 's'} on tmpfs, removed when the workload exits)`,
  );
  return lines.join('\n');
}

// The error `run` would fail with, or undefined when it would start the workload.
export function findPlanReportFailure(report: PlanReport): SecretsAgentError | undefined {
  const failed =
    report.secrets.find((secret) => secret.status === 'failed' && !secret.optional) ??
    report.secrets.find((secret) => secret.status === 'failed');
  if (failed?.error !== undefined)
    return new SecretsAgentError(failed.error.code, failed.error.message, {
      details: { secretPath: failed.sourcePath },
    });
  if (report.issues.length > 0) {
    return new SecretsAgentError(
      'ERR_APPDEF_INVALID',
      `${report.kind === 'pod' ? 'Pod' : 'App'} definition cannot be delivered: ${report.issues.map(formatIssue).join('; ')}`,
      {
        details: { issues: report.issues.map((issue) => ({ ...issue })) },
      },
    );
  }
  return undefined;
}

function describeStatus(secret: PathReport): string {
  switch (secret.status) {
    case 'ok':
      return `ok, ${secret.type ?? 'text'}, ${secret.bytes ?? 0} bytes${secret.decrypted === true ? ' (OpenPGP, decrypted)' : ''}`;
    case 'absent':
      return 'absent (optional: skipped)';
    case 'failed':
      return `FAILED: ${secret.error?.message ?? 'unknown error'} (${secret.error?.code ?? 'ERR_INTERNAL'})`;
    case 'unchecked':
      return 'not checked (no store)';
  }
}
