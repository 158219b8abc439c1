import { describe, expect, it } from 'vitest';
import {
  assertSecretSpaces,
  createDeliveryPlan,
  isSecretInSpace,
  parseAppDefinition,
  validateSecretSpaces,
} from '../../src/appdef/index.js';
import { catchAgentError } from './support/issues.js';

describe('isSecretInSpace', () => {
  // docs/wire-formats.md#spaces: the DC/OS docs table, verbatim.
  it.each([
    ['group/secret', '/marathon-user/service', false],
    ['group/secret', '/group/hdfs/service', true],
    ['group/hdfs/secret', '/group/spark/service', false],
    ['hdfs/secret', '/hdfs', true],
  ] as const)('docs table: %s for %s -> %s', (secret, service, access) => {
    expect(isSecretInSpace(secret, service)).toBe(access);
  });

  it.each([
    ['root-level secret, any app', 'secret', '/any/app', true],
    ['root-level secret, no id', 'secret', undefined, true],
    ['folder secret, no id', 'group/secret', undefined, false],
    ['deeper app under the folder', 'a/b/secret', '/a/b/c/d/e', true],
    ['folder deeper than the app', 'a/b/c/secret', '/a/b', false],
    ['segment-wise, not character-wise', 'hdfs/secret', '/hdfs2', false],
    ['character prefix of a segment', 'hdf/secret', '/hdfs/app', false],
    ['relative app id', 'group/secret', 'group/app', true],
    ['same path as the app', 'group/app', '/group/app', true],
    ['secret named after a sibling', 'group/other/secret', '/group/app', false],
  ] as const)('%s: %s for %s -> %s', (_title, secret, service, access) => {
    expect(isSecretInSpace(secret, service)).toBe(access);
  });
});

describe('validateSecretSpaces and assertSecretSpaces', () => {
  const definition = parseAppDefinition({
    id: '/group/app',
    env: {
      OK: { secret: 'mine' },
      ROOT: { secret: 'root' },
      BAD: { secret: 'other' },
      BAD_TOO: { secret: 'otherAlias' },
    },
    secrets: {
      mine: { source: 'group/app/key' },
      root: { source: 'shared-key' },
      other: { source: 'marathon-user/key' },
      otherAlias: { source: 'marathon-user/key' },
      deep: { source: 'group/app/x/key' },
    },
    container: { volumes: [{ containerPath: 'deep', secret: 'deep' }] },
  });
  const plan = createDeliveryPlan(definition);

  it('lists each secret path outside the space once, with where it is used', () => {
    expect(validateSecretSpaces('/group/app', plan)).toEqual([
      {
        secretPath: 'group/app/x/key',
        folder: 'group/app/x',
        appId: '/group/app',
        pointers: ['/container/volumes/0/containerPath'],
      },
      {
        secretPath: 'marathon-user/key',
        folder: 'marathon-user',
        appId: '/group/app',
        pointers: ['/env/BAD', '/env/BAD_TOO'],
      },
    ]);
  });

  it('throws ERR_SECRET_SPACE_DENIED naming the secret paths and the app id', () => {
    const error = catchAgentError(() => assertSecretSpaces(plan.appId, plan), 'ERR_SECRET_SPACE_DENIED');
    expect(error.message).toBe(
      [
        'Secret "group/app/x/key" (used at /container/volumes/0/containerPath) is outside the space of app "/group/app": its folder "group/app/x" is not a leading part of the app id',
        'Secret "marathon-user/key" (used at /env/BAD, /env/BAD_TOO) is outside the space of app "/group/app": its folder "marathon-user" is not a leading part of the app id',
        '(only secrets at the root or in a folder that leads the app id (`/group/app` may read `group/...`) are allowed)',
      ].join('\n'),
    );
    expect(error.exitCode).toBe(77);
  });

  it('without an app id, allows only root-level secrets', () => {
    const error = catchAgentError(() => assertSecretSpaces(undefined, plan), 'ERR_SECRET_SPACE_DENIED');
    expect(error.message).toContain(
      'is outside the space of an app without an id: its folder "group/app" needs an app id',
    );
    expect(validateSecretSpaces(undefined, plan).map((violation) => violation.secretPath)).toEqual([
      'group/app/key',
      'group/app/x/key',
      'marathon-user/key',
    ]);
  });

  it('passes a plan whose secrets are all in space', () => {
    const ok = createDeliveryPlan(
      parseAppDefinition({ id: '/hdfs', env: { A: { secret: 's' } }, secrets: { s: { source: 'hdfs/secret' } } }),
    );
    expect(() => assertSecretSpaces(ok.appId, ok)).not.toThrow();
  });

  it('refuses an app id given from outside that could escape (`..`)', () => {
    const error = catchAgentError(() => validateSecretSpaces('/marathon-user/../group/app', plan), 'ERR_INPUT_INVALID');
    expect(error.message).toBe(
      'App id "/marathon-user/../group/app" is invalid: segment 2 ".." must be lowercase letters, digits and "-", with "." only between labels',
    );
  });
});
