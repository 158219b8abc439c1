import { describe, expect, it } from 'vitest';
import { parseAppDefinition, parseAppDefinitionText, type AppDefIssue } from '../../src/appdef/index.js';
import { canaryValue } from '../helpers/canary.js';
import { catchAgentError, issuesOf } from './support/issues.js';

const secrets = { db: { source: 'group/db-password' }, tls: { source: 'group/tls' } };

function app(fields: Record<string, unknown>): Record<string, unknown> {
  return { id: '/group/app', secrets, ...fields };
}

function pod(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id: '/group/pod',
    secrets,
    volumes: [{ name: 'tls', secret: 'tls' }],
    containers: [{ name: 'main', volumeMounts: [{ name: 'tls', mountPath: 'certs/tls.pem' }] }],
    ...fields,
  };
}

function issue(pointer: string, message: string): AppDefIssue {
  return { pointer, message };
}

function volumes(...entries: unknown[]): Record<string, unknown> {
  return { container: { type: 'MESOS', volumes: entries } };
}

const invalidCases: [string, unknown, AppDefIssue[]][] = [
  // Marathon's own checks, with its wording.
  [
    'env ref to an undefined secret',
    app({ env: { DB_PASSWORD: { secret: 'nope' } } }),
    [issue('/env/DB_PASSWORD/secret', 'references an undefined secret')],
  ],
  [
    'env ref to an Object.prototype name',
    app({ env: { A: { secret: 'toString' }, B: { secret: '__proto__' } } }),
    [
      issue('/env/A/secret', 'references an undefined secret'),
      issue('/env/B/secret', 'references an undefined secret'),
    ],
  ],
  [
    'volume ref to an undefined secret',
    app(volumes({ containerPath: 'a', secret: 'nope' })),
    [issue('/container/volumes/0/secret', 'volume.secret must refer to an existing secret')],
  ],
  [
    'pod volume ref to an undefined secret',
    pod({ volumes: [{ name: 'tls', secret: 'nope' }] }),
    [issue('/volumes/0/secret', 'volume.secret must refer to an existing secret')],
  ],
  [
    'volumeMount to an undefined volume',
    pod({
      containers: [
        {
          name: 'main',
          volumeMounts: [
            { name: 'tls', mountPath: 'a' },
            { name: 'nope', mountPath: 'b' },
          ],
        },
      ],
    }),
    [issue('/containers/0/volumeMounts/1/name', 'Referenced Volume in VolumeMount should exist')],
  ],
  [
    'duplicate pod volume names',
    pod({
      volumes: [
        { name: 'tls', secret: 'tls' },
        { name: 'tls', host: '/tmp' },
      ],
    }),
    [issue('/volumes/1/name', 'volume names are unique')],
  ],
  [
    'unreferenced pod volume',
    pod({
      volumes: [
        { name: 'tls', secret: 'tls' },
        { name: 'spare', secret: 'db' },
      ],
    }),
    [issue('/volumes/1', 'volume must be referenced by at least one container')],
  ],
  [
    'duplicate container names',
    pod({ containers: [{ name: 'main', volumeMounts: [{ name: 'tls', mountPath: 'a' }] }, { name: 'main' }] }),
    [issue('/containers/1/name', 'container names are unique')],
  ],
  ['no containers', pod({ volumes: [], containers: [] }), [issue('/containers', 'must not be empty')]],
  ['empty secret name', app({ secrets: { '': { source: 'x' } } }), [issue('/secrets/', 'must not be empty')]],
  ['empty secret source', app({ secrets: { db: { source: '' } } }), [issue('/secrets/db/source', 'must not be empty')]],
  ['missing secret source', app({ secrets: { db: {} } }), [issue('/secrets/db/source', 'is required')]],
  [
    'secret entry not an object',
    app({ secrets: { db: 'group/db' } }),
    [issue('/secrets/db', 'must be an object like {"source": "<secret path>"}, got a string')],
  ],
  [
    'pullConfig to an undefined secret',
    app({ container: { type: 'MESOS', docker: { image: 'x', pullConfig: { secret: 'nope' } } } }),
    [issue('/container/docker/pullConfig', 'pullConfig.secret must refer to an existing secret')],
  ],
  [
    'pod pullConfig to an undefined secret',
    pod({
      containers: [
        {
          name: 'main',
          image: { kind: 'DOCKER', id: 'x', pullConfig: { secret: 'nope' } },
          volumeMounts: [{ name: 'tls', mountPath: 'a' }],
        },
      ],
    }),
    [issue('/containers/0/image/pullConfig', 'pullConfig.secret must refer to an existing secret')],
  ],

  // Closed schemas: unknown fields are named.
  [
    'unknown field in a secrets entry',
    app({ secrets: { db: { source: 'x', sorce: 'y' } } }),
    [issue('/secrets/db/sorce', 'unknown field "sorce" (allowed: source)')],
  ],
  [
    'unknown field in an env secret ref',
    app({ env: { X: { secret: 'db', optional: true } } }),
    [issue('/env/X/optional', 'unknown field "optional" (allowed: secret)')],
  ],
  [
    'env object without `secret`',
    app({ env: { X: { value: canaryValue } } }),
    [issue('/env/X/value', 'unknown field "value" (allowed: secret)'), issue('/env/X/secret', 'is required')],
  ],
  [
    'unknown field in an app secret volume',
    app(volumes({ containerPath: 'a', secret: 'db', mode: 'RO' })),
    [issue('/container/volumes/0/mode', 'unknown field "mode" (allowed: containerPath, secret)')],
  ],
  [
    'unknown field in a pod secret volume',
    pod({ volumes: [{ name: 'tls', secret: 'tls', host: '/etc' }] }),
    [issue('/volumes/0/host', 'unknown field "host" (allowed: name, secret)')],
  ],
  [
    'unknown field in a volumeMount',
    pod({ containers: [{ name: 'main', volumeMounts: [{ name: 'tls', mountPath: 'a', subPath: 'b' }] }] }),
    [issue('/containers/0/volumeMounts/0/subPath', 'unknown field "subPath" (allowed: name, mountPath, readOnly)')],
  ],
  [
    'readOnly not a boolean',
    pod({ containers: [{ name: 'main', volumeMounts: [{ name: 'tls', mountPath: 'a', readOnly: 'yes' }] }] }),
    [issue('/containers/0/volumeMounts/0/readOnly', 'must be a boolean, got a string')],
  ],

  // File paths.
  [
    'containerPath ../x',
    app(volumes({ containerPath: '../x', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must not contain ".." segments, got "../x"')],
  ],
  [
    'containerPath /etc/passwd',
    app(volumes({ containerPath: '/etc/passwd', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must be relative, got "/etc/passwd"')],
  ],
  [
    'containerPath a/../../b',
    app(volumes({ containerPath: 'a/../../b', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must not contain ".." segments, got "a/../../b"')],
  ],
  [
    'containerPath a/./b',
    app(volumes({ containerPath: 'a/./b', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must be normalised, got "a/./b" (write "a/b")')],
  ],
  [
    'containerPath a//b',
    app(volumes({ containerPath: 'a//b', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must be normalised, got "a//b" (write "a/b")')],
  ],
  [
    'containerPath with a trailing slash',
    app(volumes({ containerPath: 'a/', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must be normalised, got "a/" (write "a")')],
  ],
  [
    'containerPath .',
    app(volumes({ containerPath: '.', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must name a file, got "."')],
  ],
  [
    'empty containerPath',
    app(volumes({ containerPath: '', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must not be empty')],
  ],
  [
    'containerPath with NUL',
    app(volumes({ containerPath: 'a\0b', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must not contain NUL')],
  ],
  [
    'containerPath with a newline',
    app(volumes({ containerPath: 'a\nb', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must not contain control characters')],
  ],
  [
    'containerPath too long',
    app(volumes({ containerPath: 'a/'.repeat(512) + 'b', secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'must be at most 1024 bytes, got 1025')],
  ],
  [
    'containerPath segment too long',
    app(volumes({ containerPath: `a/${'x'.repeat(256)}`, secret: 'db' })),
    [issue('/container/volumes/0/containerPath', 'segment 2 must be at most 255 bytes')],
  ],
  [
    'mountPath /etc/passwd',
    pod({ containers: [{ name: 'main', volumeMounts: [{ name: 'tls', mountPath: '/etc/passwd' }] }] }),
    [issue('/containers/0/volumeMounts/0/mountPath', 'must be relative, got "/etc/passwd"')],
  ],
  [
    'two files on one path',
    app(volumes({ containerPath: 'a/b', secret: 'db' }, { containerPath: 'a/b', secret: 'tls' })),
    [
      issue(
        '/container/volumes/1/containerPath',
        'lands on "a/b", the same path as /container/volumes/0/containerPath',
      ),
    ],
  ],
  [
    'a file inside another file',
    app(volumes({ containerPath: 'a', secret: 'db' }, { containerPath: 'a/b', secret: 'tls' })),
    [issue('/container/volumes/1/containerPath', '"a/b" lies inside "a", a file (/container/volumes/0/containerPath)')],
  ],
  [
    'a file above another file',
    app(volumes({ containerPath: 'a/b/c', secret: 'db' }, { containerPath: 'a', secret: 'tls' })),
    [
      issue(
        '/container/volumes/1/containerPath',
        '"a" is a parent directory of "a/b/c" (/container/volumes/0/containerPath)',
      ),
    ],
  ],
  [
    'files colliding inside one pod container',
    pod({
      containers: [
        {
          name: 'main',
          volumeMounts: [
            { name: 'tls', mountPath: 'x' },
            { name: 'tls', mountPath: 'x' },
          ],
        },
      ],
    }),
    [
      issue(
        '/containers/0/volumeMounts/1/mountPath',
        'lands on "x", the same path as /containers/0/volumeMounts/0/mountPath',
      ),
    ],
  ],

  // Env names.
  [
    'secret env name starting with a digit',
    app({ env: { '1DB': { secret: 'db' } } }),
    [issue('/env/1DB', 'must contain only alphanumeric chars or underscore, and must not begin with a number')],
  ],
  [
    'secret env name with a hyphen',
    app({ env: { 'DB-PASSWORD': { secret: 'db' } } }),
    [issue('/env/DB-PASSWORD', 'must contain only alphanumeric chars or underscore, and must not begin with a number')],
  ],
  [
    'secret env name with "/" and "~" (pointer escaping)',
    app({ env: { 'a/b~c': { secret: 'db' } } }),
    [issue('/env/a~1b~0c', 'must contain only alphanumeric chars or underscore, and must not begin with a number')],
  ],
  ['empty plain env name', app({ env: { '': 'x' } }), [issue('/env/', 'must not be empty')]],
  [
    'plain env name with "="',
    app({ env: { 'A=B': 'x' } }),
    [issue('/env/A=B', 'cannot name an environment variable (contains "=" or NUL)')],
  ],
  [
    'pod plain env name with a dot',
    pod({ environment: { 'my.var': 'x' } }),
    [
      issue(
        '/environment/my.var',
        'must contain only alphanumeric chars or underscore, and must not begin with a number',
      ),
    ],
  ],
  [
    'pod env name of 255 characters',
    pod({ environment: { ['x'.repeat(255)]: 'x' } }),
    [
      issue(
        `/environment/${'x'.repeat(255)}`,
        'must contain only alphanumeric chars or underscore, and must not begin with a number (at most 254 characters)',
      ),
    ],
  ],
  [
    'container env ref to an undefined secret',
    pod({
      containers: [
        { name: 'main', environment: { A: { secret: 'nope' } }, volumeMounts: [{ name: 'tls', mountPath: 'a' }] },
      ],
    }),
    [issue('/containers/0/environment/A/secret', 'references an undefined secret')],
  ],
  [
    'env value of the wrong type',
    app({ env: { PORT: 8080, ON: true, NONE: null, LIST: ['a'] } }),
    [
      issue('/env/PORT', 'must be a string or {"secret": "<name>"}, got a number'),
      issue('/env/ON', 'must be a string or {"secret": "<name>"}, got a boolean'),
      issue('/env/NONE', 'must be a string or {"secret": "<name>"}, got null'),
      issue('/env/LIST', 'must be a string or {"secret": "<name>"}, got an array'),
    ],
  ],
  ['empty secret ref', app({ env: { A: { secret: '' } } }), [issue('/env/A/secret', 'must not be empty')]],

  // Secret source paths (docs/decisions.md#paths).
  [
    'source with a leading slash',
    app({ secrets: { db: { source: '/group/db' } } }),
    [issue('/secrets/db/source', 'must not start with "/" (secret paths are relative to the store: write "group/db")')],
  ],
  [
    'source with a doubled slash',
    app({ secrets: { db: { source: 'a//b' } } }),
    [issue('/secrets/db/source', 'must be a secret path: segment 2 is empty (trailing or doubled "/")')],
  ],
  [
    'source with ..',
    app({ secrets: { db: { source: 'a/../b' } } }),
    [issue('/secrets/db/source', 'must be a secret path: segment 2 ".." is not allowed')],
  ],
  [
    'source with .',
    app({ secrets: { db: { source: './b' } } }),
    [issue('/secrets/db/source', 'must be a secret path: segment 1 "." is not allowed')],
  ],
  [
    'source with a space',
    app({ secrets: { db: { source: 'a/b c' } } }),
    [issue('/secrets/db/source', 'must be a secret path: segment 2 "b c" has characters outside [A-Za-z0-9._-]')],
  ],
  [
    'source with 65 segments',
    app({ secrets: { db: { source: Array(65).fill('a').join('/') } } }),
    [issue('/secrets/db/source', 'must have at most 64 segments, got 65')],
  ],
  [
    'source of 1025 bytes',
    app({ secrets: { db: { source: 'a'.repeat(1025) } } }),
    [issue('/secrets/db/source', 'must be at most 1024 bytes, got 1025')],
  ],
  [
    'secret name with "/" (pointer escaping)',
    app({ secrets: { 'a/b': { source: '' } } }),
    [issue('/secrets/a~1b/source', 'must not be empty')],
  ],

  // Ids, labels, types.
  ['root is an array', [], [issue('', 'must be a JSON object, got an array')]],
  ['root is null', null, [issue('', 'must be a JSON object, got null')]],
  ['id not a string', app({ id: 42 }), [issue('/id', 'must be a string, got a number')]],
  [
    'id with capitals',
    app({ id: '/Group/app' }),
    [issue('/id', 'segment 1 "Group" must be lowercase letters, digits and "-", with "." only between labels')],
  ],
  [
    'id with ..',
    app({ id: '/group/../other' }),
    [issue('/id', 'segment 2 ".." must be lowercase letters, digits and "-", with "." only between labels')],
  ],
  ['id of the root group', app({ id: '/' }), [issue('/id', 'must name an app or pod, not the root group')]],
  ['id with a trailing slash', app({ id: '/group/' }), [issue('/id', 'segment 2 is empty (trailing or doubled "/")')]],
  ['env not an object', app({ env: ['A=b'] }), [issue('/env', 'must be an object, got an array')]],
  ['secrets not an object', app({ secrets: 'db' }), [issue('/secrets', 'must be an object, got a string')]],
  ['container not an object', app({ container: 'MESOS' }), [issue('/container', 'must be an object, got a string')]],
  [
    'volumes not an array',
    app({ container: { volumes: {} } }),
    [issue('/container/volumes', 'must be an array, got an object')],
  ],
  ['volume not an object', app(volumes('a')), [issue('/container/volumes/0', 'must be an object, got a string')]],
  [
    'secret volume at the top level of an app (a pod shape)',
    app({
      volumes: [
        { name: 'v', hostPath: '/x' },
        { containerPath: 'key.txt', secret: 'db' },
      ],
    }),
    [
      issue(
        '/volumes/1/secret',
        'a secret volume of an app goes in /container/volumes as {"containerPath", "secret"}; top-level volumes are a pod\'s (with containers)',
      ),
    ],
  ],
  ['containers not an array', pod({ containers: {} }), [issue('/containers', 'must be an array, got an object')]],
  [
    'container without a name',
    pod({ containers: [{ volumeMounts: [{ name: 'tls', mountPath: 'a' }] }] }),
    [issue('/containers/0/name', 'is required')],
  ],
  [
    'optional label names an undefined secret',
    app({ labels: { SECRETS_AGENT_OPTIONAL: 'db, nope' } }),
    [issue('/labels/SECRETS_AGENT_OPTIONAL', 'names an undefined secret "nope"')],
  ],
  [
    'optional label not a string',
    app({ labels: { SECRETS_AGENT_OPTIONAL: ['db'] } }),
    [issue('/labels/SECRETS_AGENT_OPTIONAL', 'must be a string of comma-separated secret names, got an array')],
  ],
  [
    'on-change label unknown',
    app({ labels: { SECRETS_AGENT_ON_CHANGE: 'reload' } }),
    [
      issue(
        '/labels/SECRETS_AGENT_ON_CHANGE',
        'must be "signal:<NAME>" (default "signal:SIGHUP"; not SIGKILL or SIGSTOP), "restart" or "none", got "reload"',
      ),
    ],
  ],
  [
    'on-change SIGKILL',
    app({ labels: { SECRETS_AGENT_ON_CHANGE: 'signal:SIGKILL' } }),
    [
      issue(
        '/labels/SECRETS_AGENT_ON_CHANGE',
        'must be "signal:<NAME>" (default "signal:SIGHUP"; not SIGKILL or SIGSTOP), "restart" or "none", got "signal:SIGKILL"',
      ),
    ],
  ],
  [
    'on-change unknown signal',
    app({ labels: { SECRETS_AGENT_ON_CHANGE: 'signal:SIGNOPE' } }),
    [
      issue(
        '/labels/SECRETS_AGENT_ON_CHANGE',
        'must be "signal:<NAME>" (default "signal:SIGHUP"; not SIGKILL or SIGSTOP), "restart" or "none", got "signal:SIGNOPE"',
      ),
    ],
  ],
  ['labels not an object', app({ labels: 'x' }), [issue('/labels', 'must be an object, got a string')]],
];

describe('parseAppDefinition: every validation failure with its pointer and message', () => {
  it.each(invalidCases)('%s', (_title, input, expected) => {
    expect(issuesOf(() => parseAppDefinition(input))).toEqual(expected);
  });

  it('the valid control case of the table parses', () => {
    expect(parseAppDefinition(app(volumes({ containerPath: 'a', secret: 'db' }))).kind).toBe('app');
  });

  it('containerPath /etc/passwd is refused with the house example line', () => {
    const error = catchAgentError(
      () =>
        parseAppDefinition(
          app(
            volumes(
              { containerPath: 'ok', secret: 'db' },
              { containerPath: 'x', secret: 'db' },
              { containerPath: '/etc/passwd', secret: 'db' },
            ),
          ),
        ),
      'ERR_APPDEF_INVALID',
    );
    expect(error.message.split('\n')).toContain(
      '/container/volumes/2/containerPath: must be relative, got "/etc/passwd"',
    );
  });

  it('collects every problem at once and lists them one per line', () => {
    const error = catchAgentError(
      () =>
        parseAppDefinition(
          app({
            env: { DB_PASSWORD: { secret: 'nope' }, PLAIN: canaryValue },
            secrets: { db: { source: '/abs' } },
            container: { volumes: [{ containerPath: '../x', secret: 'db' }] },
          }),
          { source: 'apps/billing.json' },
        ),
      'ERR_APPDEF_INVALID',
    );
    expect(error.message).toBe(
      [
        'App definition "apps/billing.json" is invalid (3 issues):',
        '/secrets/db/source: must not start with "/" (secret paths are relative to the store: write "abs")',
        '/env/DB_PASSWORD/secret: references an undefined secret',
        '/container/volumes/0/containerPath: must not contain ".." segments, got "../x"',
      ].join('\n'),
    );
    expect(error.exitCode).toBe(65);
  });

  it('names a pod as a pod, and the root problem as (root)', () => {
    expect(catchAgentError(() => parseAppDefinition(pod({ containers: [] })), 'ERR_APPDEF_INVALID').message).toMatch(
      /^Pod definition is invalid \(1 issue\):\n/,
    );
    expect(catchAgentError(() => parseAppDefinition('x'), 'ERR_APPDEF_INVALID').message).toBe(
      'App definition is invalid (1 issue):\n(root): must be a JSON object, got a string',
    );
  });

  it('never puts an env value into a message or the details', () => {
    const input = app({
      env: { A: canaryValue, 'B=C': canaryValue, D: { secret: canaryValue }, E: { [canaryValue.slice(0, 6)]: 1 } },
      labels: { OTHER: canaryValue },
    });
    const error = catchAgentError(() => parseAppDefinition(input), 'ERR_APPDEF_INVALID');
    expect(error.message).not.toContain(canaryValue);
    expect(JSON.stringify(error.details)).not.toContain(canaryValue);
  });

  it('summarises a flood of issues in the message but keeps them all in the details', () => {
    const env = Object.fromEntries(Array.from({ length: 150 }, (_, index) => [`V${index}`, { secret: 'nope' }]));
    const error = catchAgentError(() => parseAppDefinition(app({ env })), 'ERR_APPDEF_INVALID');
    expect(error.details?.['issues']).toHaveLength(150);
    expect(error.message.split('\n')).toHaveLength(102);
    expect(error.message).toMatch(/\n\.\.\. and 50 more$/);
  });
});

describe('parseAppDefinition: apps', () => {
  it('reads env, secrets, secret volumes, labels and ignores the rest of Marathon', () => {
    const definition = parseAppDefinition({
      id: 'group/app',
      cmd: 'sleep 1',
      cpus: 0.1,
      instances: 2,
      healthChecks: [{ protocol: 'COMMAND' }],
      env: { PLAIN: 'value', DB_PASSWORD: { secret: 'db' }, 'weird.name': 'ok' },
      secrets,
      container: {
        type: 'MESOS',
        docker: { image: 'x', pullConfig: { secret: 'tls' } },
        volumes: [
          { containerPath: 'certs/tls.pem', secret: 'tls' },
          { containerPath: '/abs/host', hostPath: '/var', mode: 'RW' },
          { persistent: { size: 1 }, containerPath: 'data', mode: 'RW' },
        ],
      },
      labels: { SECRETS_AGENT_ON_CHANGE: 'restart', SECRETS_AGENT_OPTIONAL: ' tls ,', HAPROXY_GROUP: 'external' },
    });
    expect(definition).toEqual({
      kind: 'app',
      id: '/group/app',
      secrets: new Map([
        ['db', { name: 'db', source: 'group/db-password', optional: false, pointer: '/secrets/db/source' }],
        ['tls', { name: 'tls', source: 'group/tls', optional: true, pointer: '/secrets/tls/source' }],
      ]),
      onChange: { action: 'restart' },
      env: {
        plain: [
          { name: 'PLAIN', value: 'value', pointer: '/env/PLAIN' },
          { name: 'weird.name', value: 'ok', pointer: '/env/weird.name' },
        ],
        secrets: [{ name: 'DB_PASSWORD', secretName: 'db', pointer: '/env/DB_PASSWORD' }],
      },
      files: [{ relativePath: 'certs/tls.pem', secretName: 'tls', pointer: '/container/volumes/0/containerPath' }],
    });
    expect(Object.isFrozen(definition)).toBe(true);
  });

  it('defaults: no id, no secrets, on change signal:SIGHUP', () => {
    expect(parseAppDefinition({})).toEqual({
      kind: 'app',
      id: undefined,
      secrets: new Map(),
      onChange: { action: 'signal', signal: 'SIGHUP' },
      env: { plain: [], secrets: [] },
      files: [],
    });
  });

  it('accepts other signals and `none`', () => {
    expect(parseAppDefinition({ labels: { SECRETS_AGENT_ON_CHANGE: 'signal:SIGUSR1' } }).onChange).toEqual({
      action: 'signal',
      signal: 'SIGUSR1',
    });
    expect(parseAppDefinition({ labels: { SECRETS_AGENT_ON_CHANGE: 'none' } }).onChange).toEqual({ action: 'none' });
  });

  it('reads own properties only, never inherited ones', () => {
    const inherited = Object.create({ env: { A: { secret: 'nope' } }, secrets: { s: { source: 'x' } } }) as object;
    expect(parseAppDefinition(inherited)).toMatchObject({ env: { plain: [], secrets: [] }, secrets: new Map() });
  });

  it('keeps a plain env var named __proto__ as an ordinary variable', () => {
    const definition = parseAppDefinitionText('{"env": {"__proto__": "x", "constructor": "y"}}');
    expect(definition.env.plain.map((variable) => variable.name)).toEqual(['__proto__', 'constructor']);
  });

  it('marks secrets optional from the option and the label', () => {
    const definition = parseAppDefinition(app({ labels: { SECRETS_AGENT_OPTIONAL: 'tls' } }), { optional: ['db'] });
    expect([...definition.secrets.values()].map((secret) => [secret.name, secret.optional])).toEqual([
      ['db', true],
      ['tls', true],
    ]);
  });

  it('refuses an `optional` option naming an undefined secret or of the wrong type (usage errors)', () => {
    const unknown = catchAgentError(() => parseAppDefinition(app({}), { optional: ['db', 'nope'] }), 'ERR_USAGE');
    expect(unknown.message).toBe(
      'Expected `optional` to name secrets of the definition, got "nope"; defined: "db", "tls"',
    );
    const wrongType = catchAgentError(
      () => parseAppDefinition(app({}), { optional: 'db' as unknown as string[] }),
      'ERR_USAGE',
    );
    expect(wrongType.message).toBe('Expected `optional` to be an array of secret names, got a string');
  });

  it('reports definition issues before option problems', () => {
    catchAgentError(() => parseAppDefinition(app({ env: { A: 1 } }), { optional: ['nope'] }), 'ERR_APPDEF_INVALID');
  });
});

describe('parseAppDefinition: pods', () => {
  it('reads pod-level and container environments, secret volumes and mounts', () => {
    const definition = parseAppDefinition(
      pod({
        environment: { SHARED: 'x', DB_PASSWORD: { secret: 'db' } },
        volumes: [{ name: 'tls', secret: 'tls' }, { name: 'scratch' }, { name: 'host', host: '/var/log' }],
        containers: [
          {
            name: 'web',
            resources: { cpus: 0.1, mem: 32 },
            environment: { DB_PASSWORD: 'override' },
            volumeMounts: [
              { name: 'tls', mountPath: 'certs/tls.pem', readOnly: true },
              { name: 'scratch', mountPath: '/scratch' },
            ],
          },
          {
            name: 'sidecar',
            volumeMounts: [
              { name: 'host', mountPath: '/logs' },
              { name: 'tls', mountPath: 'tls.pem' },
            ],
          },
        ],
      }),
    );
    if (definition.kind !== 'pod') throw new Error('expected a pod');
    expect(definition.id).toBe('/group/pod');
    expect(definition.env.secrets).toEqual([
      { name: 'DB_PASSWORD', secretName: 'db', pointer: '/environment/DB_PASSWORD' },
    ]);
    expect(definition.containers).toEqual([
      {
        name: 'web',
        pointer: '/containers/0',
        env: {
          plain: [{ name: 'DB_PASSWORD', value: 'override', pointer: '/containers/0/environment/DB_PASSWORD' }],
          secrets: [],
        },
        files: [
          { relativePath: 'certs/tls.pem', secretName: 'tls', pointer: '/containers/0/volumeMounts/0/mountPath' },
        ],
      },
      {
        name: 'sidecar',
        pointer: '/containers/1',
        env: { plain: [], secrets: [] },
        files: [{ relativePath: 'tls.pem', secretName: 'tls', pointer: '/containers/1/volumeMounts/1/mountPath' }],
      },
    ]);
  });

  it('treats any object with `containers` as a pod, even with app fields', () => {
    expect(parseAppDefinition(pod({ env: { IGNORED: { secret: 'nope' } } })).kind).toBe('pod');
  });

  it('lets the same file path appear in two containers (separate sandboxes)', () => {
    const definition = parseAppDefinition(
      pod({
        containers: [
          { name: 'a', volumeMounts: [{ name: 'tls', mountPath: 'tls.pem' }] },
          { name: 'b', volumeMounts: [{ name: 'tls', mountPath: 'tls.pem' }] },
        ],
      }),
    );
    expect(definition.kind).toBe('pod');
  });
});
