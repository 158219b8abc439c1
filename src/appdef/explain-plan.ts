// `secrets-agent explain`: which env vars and files come from which secret paths. Names and paths
// only; plain env values are listed by name, since they may be sensitive too.
import { formatOnChange } from './agent-labels.js';
import type { DeliveryPlan } from './types.js';

export interface SecretExplanation {
  readonly sourcePath: string;
  readonly optional: boolean;
  /** Keys of `secrets` that point at this path. */
  readonly secretNames: readonly string[];
  readonly envNames: readonly string[];
  readonly files: readonly string[];
}

export interface PlanExplanation {
  readonly kind: 'app' | 'pod';
  readonly appId: string | undefined;
  readonly containerName: string | undefined;
  /** `signal:SIGHUP`, `restart` or `none`. */
  readonly onChange: string;
  /** One entry per secret path, in `secretPaths` order. */
  readonly secrets: readonly SecretExplanation[];
  readonly plainEnvNames: readonly string[];
}

// Groups the plan by secret path.
export function explainPlan(plan: DeliveryPlan): PlanExplanation {
  const optional = new Set(plan.optionalPaths);
  const secrets = plan.secretPaths.map((sourcePath): SecretExplanation => {
    const env = plan.env.filter((variable) => variable.sourcePath === sourcePath);
    const files = plan.files.filter((file) => file.sourcePath === sourcePath);
    return {
      sourcePath,
      optional: optional.has(sourcePath),
      secretNames: [...new Set([...env, ...files].map((use) => use.secretName))].sort(),
      envNames: env.map((variable) => variable.name),
      files: files.map((file) => file.relativePath),
    };
  });
  return {
    kind: plan.kind,
    appId: plan.appId,
    containerName: plan.containerName,
    onChange: formatOnChange(plan.onChange),
    secrets,
    plainEnvNames: Object.keys(plan.plainEnv).sort(),
  };
}

// Human-readable lines of an explanation, for the terminal.
export function formatPlanExplanation(explanation: PlanExplanation): string {
  const target = explanation.containerName === undefined ? '' : ` (container ${explanation.containerName})`;
  const lines = [`${explanation.kind} ${explanation.appId ?? '(no id)'}${target}, on change: ${explanation.onChange}`];
  if (explanation.secrets.length === 0) lines.push('no secrets');
  for (const secret of explanation.secrets) {
    lines.push(`secret ${secret.sourcePath}${secret.optional ? ' (optional)' : ''} [${secret.secretNames.join(', ')}]`);
    for (const name of secret.envNames) lines.push(`  env  ${name}`);
    for (const file of secret.files) lines.push(`  file ${file}`);
  }
  if (explanation.plainEnvNames.length > 0) lines.push(`plain env: ${explanation.plainEnvNames.join(', ')}`);
  return lines.join('\n');
}
