// The workload's environment: the agent's own, minus the agent's credentials, plus the plan's variables.
import { SecretsAgentError } from '../core/errors.js';

/** Variables that carry the agent's own credentials; a workload never inherits them. */
export const agentSecretEnvNames = Object.freeze([
  'DCOS_SERVICE_ACCOUNT_CREDENTIAL',
  'DCOS_SECRETS_PASSWORD',
  'DCOS_SECRETS_USERNAME',
  'SECRETS_AGENT_TOKEN',
  // ZooKeeper digest auth of the embedded store (`run --data-dir zk://...`).
  'ZK_AUTH',
] as const);

export interface BuildWorkloadEnvOptions {
  /** Usually `process.env`; undefined values are skipped. */
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** Non-secret variables from the app definition. */
  plainEnv?: Readonly<Record<string, string>>;
  /** Resolved secret variables; they win over plain and base variables of the same name. */
  secretEnv?: Readonly<Record<string, string>>;
  /** More names to drop from `baseEnv`, on top of `agentSecretEnvNames`. */
  removeNames?: readonly string[];
}

// Builds the child's environment; refuses names or values a POSIX environment cannot carry.
export function buildWorkloadEnv(options: BuildWorkloadEnvOptions): Record<string, string> {
  const removed = new Set<string>([...agentSecretEnvNames, ...(options.removeNames ?? [])]);
  // A null prototype: a variable named `__proto__` is an ordinary key, not a prototype swap.
  const env = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(options.baseEnv)) {
    if (value === undefined || removed.has(name)) continue;
    env[name] = checkedValue('baseEnv', name, value);
  }
  for (const [source, vars] of [
    ['plainEnv', options.plainEnv],
    ['secretEnv', options.secretEnv],
  ] as const) {
    for (const [name, value] of Object.entries(vars ?? {})) env[name] = checkedValue(source, name, value);
  }
  return env;
}

// Names the variable and where it came from; the value itself never enters the message.
function checkedValue(source: string, name: string, value: unknown): string {
  if (name === '' || name.includes('=') || name.includes('\0')) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Environment variable name ${JSON.stringify(name.replaceAll('\0', '\\0'))} in \`${source}\` is empty or contains "=" or NUL`,
      {
        details: { source },
      },
    );
  }
  if (typeof value !== 'string') {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Environment variable \`${name}\` in \`${source}\` must be a string, got ${typeof value}`,
      {
        details: { source, name },
      },
    );
  }
  if (value.includes('\0')) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Environment variable \`${name}\` in \`${source}\` contains a NUL byte, which an environment cannot carry`,
      {
        details: { source, name },
      },
    );
  }
  return value;
}
