// The parts of a Marathon app that deliver secrets: `env` and `container.volumes` secret volumes.
import { reportFileCollisions, describeFilePathProblem } from './file-path.js';
import type { AppDefIssue } from './issues.js';
import { appendJsonPointer } from './json-pointer.js';
import {
  getOwn,
  isJsonObject,
  readRequiredString,
  reportUnknownFields,
  reportWrongType,
  type JsonObject,
} from './json-shape.js';
import { parseEnvironment } from './parse-environment.js';
import type { SecretEntry } from './parse-secrets.js';
import { reportPullConfigReference } from './pull-config.js';
import type { EnvironmentDefinition, SecretFileDefinition } from './types.js';

export interface AppParts {
  readonly env: EnvironmentDefinition;
  readonly files: readonly SecretFileDefinition[];
}

// Reads env and secret volumes; everything else (cmd, cpus, healthChecks, ...) is Marathon's.
export function parseAppParts(
  root: JsonObject,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): AppParts {
  // App names may be anything Marathon's LegacyEnvVars allows, except that a secret goes only
  // into a POSIX name: shells and most programs cannot read any other.
  const env = parseEnvironment(
    getOwn(root, 'env'),
    '/env',
    { plainNames: 'legacy', secretNames: 'posix' },
    secrets,
    issues,
  );
  const files = parseContainer(getOwn(root, 'container'), secrets, issues);
  reportFileCollisions(files, issues);
  reportPodStyleVolumes(getOwn(root, 'volumes'), issues);
  return { env, files };
}

// Top-level `volumes` belong to pods. An app that puts a secret volume there would otherwise have
// it ignored with the rest of Marathon's fields, and its workload would start without the file.
function reportPodStyleVolumes(volumes: unknown, issues: AppDefIssue[]): void {
  if (!Array.isArray(volumes)) return;
  for (let index = 0; index < volumes.length; index += 1) {
    const volume: unknown = volumes[index];
    if (!isJsonObject(volume) || !Object.hasOwn(volume, 'secret')) continue;
    issues.push({
      pointer: appendJsonPointer('/volumes', index, 'secret'),
      message:
        'a secret volume of an app goes in /container/volumes as {"containerPath", "secret"}; top-level volumes are a pod\'s (with containers)',
    });
  }
}

function parseContainer(
  container: unknown,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): SecretFileDefinition[] {
  if (container === undefined) return [];
  if (!isJsonObject(container)) {
    reportWrongType('an object', container, '/container', issues);
    return [];
  }
  const docker = getOwn(container, 'docker');
  if (isJsonObject(docker))
    reportPullConfigReference(getOwn(docker, 'pullConfig'), '/container/docker/pullConfig', secrets, issues);
  const volumes = getOwn(container, 'volumes');
  if (volumes === undefined) return [];
  if (!Array.isArray(volumes)) {
    reportWrongType('an array', volumes, '/container/volumes', issues);
    return [];
  }
  const files: SecretFileDefinition[] = [];
  for (const [index, volume] of volumes.entries()) {
    const pointer = appendJsonPointer('/container/volumes', index);
    if (!isJsonObject(volume)) {
      reportWrongType('an object', volume, pointer, issues);
      continue;
    }
    // Persistent, external and host volumes are Marathon's; only secret volumes are ours.
    if (!Object.hasOwn(volume, 'secret')) continue;
    const file = parseSecretVolume(volume, pointer, secrets, issues);
    if (file !== undefined) files.push(file);
  }
  return files;
}

// AppSecretVolume {containerPath, secret}: closed, both non-empty.
function parseSecretVolume(
  volume: JsonObject,
  pointer: string,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): SecretFileDefinition | undefined {
  reportUnknownFields(volume, ['containerPath', 'secret'], pointer, issues);
  const pathPointer = appendJsonPointer(pointer, 'containerPath');
  let relativePath = readRequiredString(volume, 'containerPath', pointer, issues);
  const pathProblem = relativePath === undefined ? undefined : describeFilePathProblem(relativePath);
  if (pathProblem !== undefined) {
    issues.push({ pointer: pathPointer, message: pathProblem });
    relativePath = undefined;
  }
  const secretName = readRequiredString(volume, 'secret', pointer, issues);
  if (secretName !== undefined && !secrets.has(secretName)) {
    issues.push({
      pointer: appendJsonPointer(pointer, 'secret'),
      message: 'volume.secret must refer to an existing secret',
    });
    return undefined;
  }
  if (relativePath === undefined || secretName === undefined) return undefined;
  return { relativePath, secretName, pointer: pathPointer };
}
