// The parts of a Marathon pod that deliver secrets: pod-level `environment`, `volumes` secret
// volumes, and each container's `environment` and `volumeMounts`.
import { describeFilePathProblem, reportFileCollisions } from './file-path.js';
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
import { parseEnvironment, type EnvironmentRules } from './parse-environment.js';
import type { SecretEntry } from './parse-secrets.js';
import { reportPullConfigReference } from './pull-config.js';
import type { EnvironmentDefinition, PodContainerDefinition, SecretFileDefinition } from './types.js';

/** Pods use Marathon's strict EnvVars names everywhere. */
const podEnvRules: EnvironmentRules = { plainNames: 'strict', secretNames: 'strict' };

interface PodVolume {
  readonly pointer: string;
  /** Set for a valid secret volume; other kinds (host, ephemeral, persistent) are Marathon's. */
  readonly secretName: string | undefined;
}

export interface PodParts {
  readonly env: EnvironmentDefinition;
  readonly containers: readonly PodContainerDefinition[];
}

// Reads the pod's environment, volumes and containers, with Marathon's reference checks.
export function parsePodParts(
  root: JsonObject,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): PodParts {
  const env = parseEnvironment(getOwn(root, 'environment'), '/environment', podEnvRules, secrets, issues);
  const volumes = parseVolumes(getOwn(root, 'volumes'), secrets, issues);
  const mounted = new Set<string>();
  const containers = parseContainers(getOwn(root, 'containers'), volumes, mounted, secrets, issues);
  // Without containers every volume would look unused: one issue is enough.
  if (containers.length === 0) return { env, containers };
  for (const [name, volume] of volumes) {
    if (!mounted.has(name))
      issues.push({ pointer: volume.pointer, message: 'volume must be referenced by at least one container' });
  }
  return { env, containers };
}

function parseVolumes(
  value: unknown,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): Map<string, PodVolume> {
  const volumes = new Map<string, PodVolume>();
  if (value === undefined) return volumes;
  if (!Array.isArray(value)) {
    reportWrongType('an array', value, '/volumes', issues);
    return volumes;
  }
  for (const [index, volume] of value.entries()) {
    const pointer = appendJsonPointer('/volumes', index);
    if (!isJsonObject(volume)) {
      reportWrongType('an object', volume, pointer, issues);
      continue;
    }
    const isSecret = Object.hasOwn(volume, 'secret');
    // PodSecretVolume {name, secret} is closed; other kinds are not ours to police.
    if (isSecret) reportUnknownFields(volume, ['name', 'secret'], pointer, issues);
    const name = readRequiredString(volume, 'name', pointer, issues);
    let secretName = isSecret ? readRequiredString(volume, 'secret', pointer, issues) : undefined;
    if (secretName !== undefined && !secrets.has(secretName)) {
      issues.push({
        pointer: appendJsonPointer(pointer, 'secret'),
        message: 'volume.secret must refer to an existing secret',
      });
      secretName = undefined;
    }
    if (name === undefined) continue;
    if (volumes.has(name)) {
      issues.push({ pointer: appendJsonPointer(pointer, 'name'), message: 'volume names are unique' });
      continue;
    }
    volumes.set(name, { pointer, secretName });
  }
  return volumes;
}

function parseContainers(
  value: unknown,
  volumes: ReadonlyMap<string, PodVolume>,
  mounted: Set<string>,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): PodContainerDefinition[] {
  if (!Array.isArray(value)) {
    reportWrongType('an array', value, '/containers', issues);
    return [];
  }
  if (value.length === 0) {
    issues.push({ pointer: '/containers', message: 'must not be empty' });
    return [];
  }
  const containers: PodContainerDefinition[] = [];
  const names = new Set<string>();
  for (const [index, container] of value.entries()) {
    const pointer = appendJsonPointer('/containers', index);
    if (!isJsonObject(container)) {
      reportWrongType('an object', container, pointer, issues);
      continue;
    }
    const name = readRequiredString(container, 'name', pointer, issues);
    if (name !== undefined && names.has(name)) {
      issues.push({ pointer: appendJsonPointer(pointer, 'name'), message: 'container names are unique' });
    }
    const env = parseEnvironment(
      getOwn(container, 'environment'),
      appendJsonPointer(pointer, 'environment'),
      podEnvRules,
      secrets,
      issues,
    );
    const files = parseVolumeMounts(
      getOwn(container, 'volumeMounts'),
      appendJsonPointer(pointer, 'volumeMounts'),
      volumes,
      mounted,
      issues,
    );
    reportFileCollisions(files, issues);
    const image = getOwn(container, 'image');
    if (isJsonObject(image))
      reportPullConfigReference(
        getOwn(image, 'pullConfig'),
        appendJsonPointer(pointer, 'image', 'pullConfig'),
        secrets,
        issues,
      );
    if (name === undefined || names.has(name)) continue;
    names.add(name);
    containers.push({ name, pointer, env, files });
  }
  return containers;
}

// VolumeMount {name, mountPath, readOnly?}: closed; only mounts of secret volumes become files.
function parseVolumeMounts(
  value: unknown,
  pointer: string,
  volumes: ReadonlyMap<string, PodVolume>,
  mounted: Set<string>,
  issues: AppDefIssue[],
): SecretFileDefinition[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    reportWrongType('an array', value, pointer, issues);
    return [];
  }
  const files: SecretFileDefinition[] = [];
  for (const [index, mount] of value.entries()) {
    const mountPointer = appendJsonPointer(pointer, index);
    if (!isJsonObject(mount)) {
      reportWrongType('an object', mount, mountPointer, issues);
      continue;
    }
    reportUnknownFields(mount, ['name', 'mountPath', 'readOnly'], mountPointer, issues);
    const readOnly = getOwn(mount, 'readOnly');
    if (readOnly !== undefined && typeof readOnly !== 'boolean') {
      reportWrongType('a boolean', readOnly, appendJsonPointer(mountPointer, 'readOnly'), issues);
    }
    const name = readRequiredString(mount, 'name', mountPointer, issues);
    const mountPath = readRequiredString(mount, 'mountPath', mountPointer, issues);
    if (name === undefined) continue;
    const volume = volumes.get(name);
    if (volume === undefined) {
      issues.push({
        pointer: appendJsonPointer(mountPointer, 'name'),
        message: 'Referenced Volume in VolumeMount should exist',
      });
      continue;
    }
    mounted.add(name);
    if (volume.secretName === undefined || mountPath === undefined) continue;
    const pathPointer = appendJsonPointer(mountPointer, 'mountPath');
    const problem = describeFilePathProblem(mountPath);
    if (problem !== undefined) {
      issues.push({ pointer: pathPointer, message: problem });
      continue;
    }
    files.push({ relativePath: mountPath, secretName: volume.secretName, pointer: pathPointer });
  }
  return files;
}
