// An AppDefinition (and, for a pod, one container) to the plan the agent executes: which secret
// paths to fetch, each once, and which env vars and files each value feeds.
import { SecretsAgentError } from '../core/errors.js';
import { quoteText } from './describe-json.js';
import type {
  AppDefinition,
  DeliveryPlan,
  EnvironmentDefinition,
  PlanEnvVar,
  PlanFile,
  PodContainerDefinition,
  SecretDefinition,
  SecretEnvVar,
  SecretFileDefinition,
} from './types.js';

export interface CreateDeliveryPlanOptions {
  /** The pod container to plan for (`--container`); required when the pod has more than one. */
  containerName?: string;
}

// Resolves secret names to source paths and merges pod-level with container environment.
export function createDeliveryPlan(definition: AppDefinition, options: CreateDeliveryPlanOptions = {}): DeliveryPlan {
  let env: EnvironmentDefinition;
  let files: readonly SecretFileDefinition[];
  let containerName: string | undefined;
  if (definition.kind === 'pod') {
    const container = selectContainer(definition.containers, options.containerName);
    env = mergeEnvironments(definition.env, container.env);
    files = container.files;
    containerName = container.name;
  } else {
    if (options.containerName !== undefined) {
      throw new SecretsAgentError(
        'ERR_USAGE',
        `Expected \`containerName\` only for pods, got ${quoteText(options.containerName)} for an app`,
        {
          details: { option: 'containerName' },
        },
      );
    }
    env = definition.env;
    files = definition.files;
    containerName = undefined;
  }
  const lookup = (name: string): SecretDefinition => {
    const secret = definition.secrets.get(name);
    // parseAppDefinition refuses references to undefined secrets; this is a bug if it happens.
    if (secret === undefined)
      throw new SecretsAgentError('ERR_INTERNAL', `Secret ${quoteText(name)} is referenced but not defined`);
    return secret;
  };
  const planEnv = env.secrets.map((variable): PlanEnvVar => toPlanEnvVar(variable, lookup(variable.secretName)));
  const planFiles = files.map((file): PlanFile => toPlanFile(file, lookup(file.secretName)));
  const plainEnv = Object.create(null) as Record<string, string>;
  for (const variable of env.plain) plainEnv[variable.name] = variable.value;
  const { secretPaths, optionalPaths } = collectPaths([...planEnv, ...planFiles]);
  return Object.freeze({
    kind: definition.kind,
    appId: definition.id,
    containerName,
    env: Object.freeze(planEnv.sort((a, b) => compare(a.name, b.name))),
    plainEnv: Object.freeze(plainEnv),
    files: Object.freeze(planFiles.sort((a, b) => compare(a.relativePath, b.relativePath))),
    secretPaths,
    optionalPaths,
    onChange: definition.onChange,
  });
}

// The names of a pod's containers, for `--container` help and errors; empty for apps.
export function listContainerNames(definition: AppDefinition): string[] {
  return definition.kind === 'pod' ? definition.containers.map((container) => container.name) : [];
}

// A pod with several containers must say which one this process is: taking the first would hand
// one container's secrets to another container's process.
function selectContainer(
  containers: readonly PodContainerDefinition[],
  name: string | undefined,
): PodContainerDefinition {
  const names = containers.map((container) => quoteText(container.name)).join(', ');
  if (name === undefined) {
    const only = containers.length === 1 ? containers[0] : undefined;
    if (only !== undefined) return only;
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`containerName\` (--container) for a pod with ${containers.length} containers: ${names}`,
      {
        details: { option: 'containerName', containers: containers.map((container) => container.name) },
      },
    );
  }
  const found = containers.find((container) => container.name === name);
  if (found !== undefined) return found;
  throw new SecretsAgentError('ERR_USAGE', `Expected \`containerName\` to be one of ${names}, got ${quoteText(name)}`, {
    details: { option: 'containerName', containers: containers.map((container) => container.name) },
  });
}

// Container variables override pod-level ones of the same name, plain or secret alike.
function mergeEnvironments(pod: EnvironmentDefinition, container: EnvironmentDefinition): EnvironmentDefinition {
  const overridden = new Set([...container.plain, ...container.secrets].map((variable) => variable.name));
  return {
    plain: [...pod.plain.filter((variable) => !overridden.has(variable.name)), ...container.plain],
    secrets: [...pod.secrets.filter((variable) => !overridden.has(variable.name)), ...container.secrets],
  };
}

function toPlanEnvVar(variable: SecretEnvVar, secret: SecretDefinition): PlanEnvVar {
  return Object.freeze({
    name: variable.name,
    secretName: secret.name,
    sourcePath: secret.source,
    optional: secret.optional,
    pointer: variable.pointer,
  });
}

function toPlanFile(file: SecretFileDefinition, secret: SecretDefinition): PlanFile {
  return Object.freeze({
    relativePath: file.relativePath,
    secretName: secret.name,
    sourcePath: secret.source,
    optional: secret.optional,
    pointer: file.pointer,
  });
}

// Each path once; a path is optional only when every use of it is.
function collectPaths(uses: readonly { sourcePath: string; optional: boolean }[]): {
  secretPaths: readonly string[];
  optionalPaths: readonly string[];
} {
  const required = new Map<string, boolean>();
  for (const use of uses) required.set(use.sourcePath, (required.get(use.sourcePath) ?? false) || !use.optional);
  const secretPaths = [...required.keys()].sort(compare);
  return {
    secretPaths: Object.freeze(secretPaths),
    optionalPaths: Object.freeze(secretPaths.filter((path) => required.get(path) === false)),
  };
}

// Code-unit order, the same on every machine (localeCompare is not).
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
